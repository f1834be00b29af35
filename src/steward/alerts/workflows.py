"""The alert schedule, the domain-event subscriber, and delivery with retries and backoff.

Each notification (an ``alert.notify`` domain event) starts ``deliver``, which starts one
``deliver_channel`` per channel, so a failing or slow channel never holds back the others or the
rule sweep. Every attempt writes one row to the delivery log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import structlog
from dbos import DBOS, SetWorkflowID

from steward.alerts import channels
from steward.alerts import repository as repo
from steward.alerts.models import AlertDelivery
from steward.alerts.service import AlertLog
from steward.events.models import DomainEvent
from steward.module import Schedule
from steward.runtime import current

log = structlog.get_logger("steward.alerts")

SCHEDULE = "steward.alerts.sweep"


@DBOS.workflow(name="steward.alerts.sweep")
def sweep_tick(scheduled_at: datetime, _context: Any) -> None:
    run_sweep()


@DBOS.step(name="steward.alerts.run_sweep")
def run_sweep() -> dict[str, Any]:
    report = current().service(AlertLog).sweep()
    return dict(report.__dict__)


@DBOS.workflow(name="steward.alerts.on_event")
def on_event(domain_event_id: int) -> None:
    raise_from_event(domain_event_id)


@DBOS.step(name="steward.alerts.raise_from_event")
def raise_from_event(domain_event_id: int) -> int:
    runtime = current()
    with runtime.db.transaction() as session:
        event = session.get(DomainEvent, domain_event_id)
        if event is None:
            return 0
        raised: int = runtime.service(AlertLog).on_domain_event(session, event)
        return raised


@DBOS.workflow(name="steward.alerts.deliver")
def deliver(domain_event_id: int) -> None:
    count = channel_count(domain_event_id)
    handles = []
    for index in range(count):
        with SetWorkflowID(f"steward.alerts.deliver:{domain_event_id}:{index}"):
            handles.append(DBOS.start_workflow(deliver_channel, domain_event_id, index))
    for handle in handles:
        handle.get_result()


@DBOS.step(name="steward.alerts.channel_count")
def channel_count(domain_event_id: int) -> int:
    plan = _plan(domain_event_id)
    return len(plan["urls"]) if plan else 0


@DBOS.workflow(name="steward.alerts.deliver_channel")
def deliver_channel(domain_event_id: int, index: int) -> bool:
    settings = current().settings
    attempts = settings.alert_delivery_attempts
    for attempt in range(1, attempts + 1):
        if attempt_delivery(domain_event_id, index, attempt):
            return True
        if attempt < attempts:
            DBOS.sleep(settings.alert_delivery_backoff_seconds * 2 ** (attempt - 1))
    log.error("alerts.delivery_gave_up", domain_event_id=domain_event_id, channel=index)
    return False


@DBOS.step(name="steward.alerts.attempt")
def attempt_delivery(domain_event_id: int, index: int, attempt: int) -> bool:
    """One attempt at one channel. The message carries its notification key, so a receiver can
    drop the repeat of an attempt interrupted after sending."""
    runtime = current()
    plan = _plan(domain_event_id)
    if plan is None or index >= len(plan["urls"]):
        return True
    result = channels.send(
        plan["urls"][index], plan["title"], plan["body"], plan["severity"], runtime=runtime
    )
    with runtime.db.transaction() as session:
        repo.add_delivery(
            session,
            AlertDelivery(
                alert_id=plan["alert_id"],
                notification=plan["key"],
                channel=result.channel,
                attempt=attempt,
                ok=result.ok,
                error=result.error,
                at=runtime.clock.now(),
            ),
        )
    log.info(
        "alerts.delivery",
        notification=plan["key"],
        channel=result.channel,
        attempt=attempt,
        ok=result.ok,
        error=result.error,
    )
    return result.ok


def _plan(domain_event_id: int) -> dict[str, Any] | None:
    runtime = current()
    with runtime.db.read() as session:
        data = session.execute(
            sa.select(DomainEvent.data).where(DomainEvent.id == domain_event_id)
        ).scalar()
        if data is None:
            return None
        info = json.loads(data)
        alert = repo.get(session, int(info["alert_id"]))
        rule = runtime.service(AlertLog).rules.get(alert.rule)
        urls = (
            runtime.service(AlertLog).channels_for(rule)
            if rule
            else list(runtime.service(AlertLog).channels)
        )
        return {
            "alert_id": alert.id,
            "key": info["notification"],
            "urls": urls,
            "severity": alert.severity,
            "title": f"[{alert.severity.upper()}] {alert.title}",
            "body": message_body(
                runtime.settings.public_url,
                alert.id,
                alert.message,
                alert.tenant_id,
                info.get("reason", ""),
                info["notification"],
            ),
        }


def message_body(
    base_url: str, alert_id: int, message: str, tenant_id: str | None, reason: str, key: str
) -> str:
    lines = [message]
    if tenant_id:
        lines.append(f"tenant: {tenant_id}")
    lines.append(f"{reason}; open it: {base_url.rstrip('/')}/cockpit/alerts?alert_id={alert_id}")
    lines.append(f"ref: {key}")
    return "\n".join(lines)


SCHEDULES = (Schedule(SCHEDULE, sweep_tick, lambda s: s.alert_sweep_cron),)
