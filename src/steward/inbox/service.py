"""Ingest (store once) and process (apply once) inbound events."""

from __future__ import annotations

import json
import random
import threading
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from steward import metrics
from steward.audit import service as audit
from steward.errors import Conflict, MalformedEvent, PermanentEventError
from steward.inbox import repository as repo
from steward.inbox.handlers import HandlerContext, HandlerRegistry
from steward.inbox.models import REPLAYABLE, EventStatus, InboundEvent
from steward.runtime import Runtime

log = structlog.get_logger("steward.inbox")


@dataclass(frozen=True)
class Ingested:
    event_id: int
    duplicate: bool


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 2.0
    max_seconds: float = 300.0

    def delay(self, attempt: int) -> timedelta:
        """Exponential backoff with jitter: base * 2^(attempt-1), capped, ±20%."""
        seconds = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


MAX_EPOCH = 253_402_300_800  # 10000-01-01: datetime's own limit


def parse_event(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedEvent("the body is not JSON (or nests too deep)") from exc
    if not isinstance(payload, dict):
        raise MalformedEvent("the body is not a JSON object")
    if not isinstance(payload.get("id"), str) or not payload["id"]:
        raise MalformedEvent("the event has no string 'id'")
    if not isinstance(payload.get("type"), str) or not payload["type"]:
        raise MalformedEvent("the event has no string 'type'")
    if len(payload["id"]) > 255 or len(payload["type"]) > 255:
        raise MalformedEvent("the event's id and type are at most 255 characters")
    created = payload.get("created")
    if created is not None and not (isinstance(created, int) and 0 <= created < MAX_EPOCH):
        raise MalformedEvent("the event's 'created' is not a Unix time in seconds")
    return payload


class Inbox:
    def __init__(self, runtime: Runtime, registry: HandlerRegistry, retry: RetryPolicy) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.registry = registry
        self.clock = runtime.clock
        self.retry = retry
        self.wakeup = threading.Event()

    # -- ingest ---------------------------------------------------------------------------------
    def ingest(self, source: str, body: bytes, payload: dict[str, Any]) -> Ingested:
        """Store the raw event once; the stored pending row is its place in the queue."""
        values = self._values(source, body, payload, self.clock.now())
        with self.db.connection() as conn:  # Core, not the ORM: this is the webhook's hot path
            event_id, is_new = repo.insert_if_new(conn, values)
        metrics.EVENTS_RECEIVED.labels(source=source, type=payload["type"]).inc()
        if is_new:
            self.wakeup.set()
        else:
            metrics.EVENTS_DUPLICATE.labels(source=source, type=payload["type"]).inc()
        log.info(
            "event.received",
            event_id=event_id,
            external_id=payload["id"],
            type=payload["type"],
            duplicate=not is_new,
        )
        return Ingested(event_id=event_id, duplicate=not is_new)

    def missing(self, source: str, external_ids: list[str]) -> set[str]:
        """Which of these provider event ids the inbox does not hold."""
        with self.db.read() as session:
            return set(external_ids) - repo.existing(session, source, external_ids)

    def ingest_many(self, source: str, batch: list[tuple[bytes, dict[str, Any]]]) -> int:
        """Store many events in one transaction (a catch-up page); returns how many were new."""
        now = self.clock.now()
        new = 0
        with self.db.transaction() as session:
            for body, payload in batch:
                _, is_new = repo.insert_if_new(session, self._values(source, body, payload, now))
                new += is_new
        for _, payload in batch:
            metrics.EVENTS_RECEIVED.labels(source=source, type=payload["type"]).inc()
        if new:
            self.wakeup.set()
        return new

    @staticmethod
    def _values(source: str, body: bytes, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
        created = payload.get("created")
        return {
            "source": source,
            "external_id": payload["id"],
            "type": payload["type"],
            "status": EventStatus.PENDING,
            "payload": body.decode("utf-8"),
            "provider_created_at": datetime.fromtimestamp(created, UTC)
            if isinstance(created, int)
            else None,
            "received_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "deliveries": 1,
            "replays": 0,
        }

    # -- process --------------------------------------------------------------------------------
    def process_next(self) -> bool:
        """Claim one due event and apply it in one transaction. False when nothing is due."""
        with self.db.transaction() as session:
            event = repo.claim_next(session, self.clock.now())
            if event is None:
                return False
            self._apply(session, event)
        return True

    def drain(self, limit: int = 1_000_000) -> int:
        """Process due events until none is left (or ``limit``); returns how many."""
        done = 0
        while done < limit and self.process_next():
            done += 1
        return done

    def _apply(self, session: Session, event: InboundEvent) -> None:
        now = self.clock.now()
        handlers = self.registry.get(event.source, event.type)
        bound = log.bind(event_id=event.id, external_id=event.external_id, type=event.type)
        if not handlers:
            repo.transition(session, event.id, EventStatus.IGNORED, processed_at=now)
            metrics.EVENTS_PROCESSED.labels(
                source=event.source, type=event.type, outcome="ignored"
            ).inc()
            bound.info("event.ignored", reason="no handler for this type")
            return
        attempt = event.attempts + 1
        ctx = HandlerContext(self.runtime, session, event, json.loads(event.payload))
        try:
            with session.begin_nested():  # a failing handler's writes roll back; the claim stays
                for handler in handlers:
                    handler(ctx)
        except PermanentEventError as exc:
            self._fail(session, event, EventStatus.FAILED, attempt, exc, ctx.tenant_id)
            bound.warning("event.failed", tenant_id=ctx.tenant_id, reason=exc.message)
            return
        except Exception as exc:
            target = (
                EventStatus.DEAD if attempt >= self.retry.max_attempts else EventStatus.RETRYING
            )
            self._fail(session, event, target, attempt, exc, ctx.tenant_id)
            bound.warning(
                "event.dead" if target is EventStatus.DEAD else "event.retry",
                attempt=attempt,
                error=f"{type(exc).__name__}: {exc}",
                tenant_id=ctx.tenant_id,
            )
            return
        repo.transition(
            session,
            event.id,
            EventStatus.PROCESSED,
            processed_at=now,
            attempts=attempt,
            tenant_id=ctx.tenant_id,
            last_error=None,
        )
        metrics.EVENTS_PROCESSED.labels(
            source=event.source, type=event.type, outcome="processed"
        ).inc()
        metrics.PROCESSING_LATENCY.labels(source=event.source).observe(
            max(0.0, (now - event.received_at).total_seconds())
        )
        bound.info("event.processed", tenant_id=ctx.tenant_id, attempt=attempt, notes=ctx.notes)

    def _fail(
        self,
        session: Session,
        event: InboundEvent,
        target: EventStatus,
        attempt: int,
        exc: BaseException,
        tenant_id: str | None,
    ) -> None:
        now = self.clock.now()
        message = (
            exc.message if isinstance(exc, PermanentEventError) else f"{type(exc).__name__}: {exc}"
        )
        repo.transition(
            session,
            event.id,
            target,
            attempts=attempt,
            last_error=message,
            traceback="".join(traceback.format_exception(exc)),
            tenant_id=tenant_id or event.tenant_id,
            next_attempt_at=now + self.retry.delay(attempt)
            if target is EventStatus.RETRYING
            else now,
        )
        outcome = {EventStatus.FAILED: "failed", EventStatus.DEAD: "dead"}.get(target, "retry")
        metrics.EVENTS_PROCESSED.labels(source=event.source, type=event.type, outcome=outcome).inc()

    # -- operator -------------------------------------------------------------------------------
    def replay(self, event_id: int, actor: str) -> InboundEvent:
        """Put a failed, dead or ignored event back in the queue, with a fresh attempt count;
        the audit entry naming ``actor`` commits with it."""
        with self.db.transaction() as session:
            event = repo.get(session, event_id)
            before = event.status
            if event.status not in REPLAYABLE:
                raise Conflict(
                    f"event {event_id} is {event.status.value}; only failed, dead or ignored "
                    "events can be replayed",
                    status=event.status.value,
                )
            repo.transition(
                session,
                event_id,
                EventStatus.PENDING,
                attempts=0,
                replays=event.replays + 1,
                next_attempt_at=self.clock.now(),
            )
            session.refresh(event)
            audit.record(
                session,
                self.clock.now(),
                actor=actor,
                action="event.replay",
                target=f"event:{event_id}",
                before={"status": before.value},
                after={"status": event.status.value, "replays": event.replays},
            )
        self.wakeup.set()
        log.info("event.replayed", event_id=event_id)
        return event
