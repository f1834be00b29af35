"""Queries on inbound events. Only this module touches the table."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from steward.errors import IllegalTransition, NotFound
from steward.inbox.models import OPEN, EventStatus, InboundEvent, sources_of

T: sa.Table = InboundEvent.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Backlog:
    pending: int
    retrying: int
    failed: int
    dead: int
    oldest_open_received_at: datetime | None


@functools.cache
def _insert(dialect: str) -> Any:
    """Built once per dialect and run with parameters: the webhook's hot path."""
    insert = postgresql.insert(T) if dialect == "postgresql" else sqlite.insert(T)
    return insert.on_conflict_do_nothing(index_elements=["source", "external_id"]).returning(T.c.id)


_COUNT_DELIVERY = (
    sa.update(T)
    .where(T.c.source == sa.bindparam("src"), T.c.external_id == sa.bindparam("ext"))
    .values(deliveries=T.c.deliveries + 1)
    .returning(T.c.id)
)


def insert_if_new(conn: Session | sa.Connection, values: dict[str, Any]) -> tuple[int, bool]:
    """Insert the event unless (source, external_id) exists; returns (id, is_new).

    Concurrent duplicates are settled by the unique constraint, not by a prior read.
    """
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    new_id = conn.execute(_insert(bind.dialect.name), values).scalar_one_or_none()
    if new_id is not None:
        return new_id, True
    keys = {"src": values["source"], "ext": values["external_id"]}
    return conn.execute(_COUNT_DELIVERY, keys).scalar_one(), False


def existing(session: Session, source: str, external_ids: list[str]) -> set[str]:
    rows = session.execute(
        sa.select(T.c.external_id).where(T.c.source == source, T.c.external_id.in_(external_ids))
    ).scalars()
    return set(rows)


def claim_next(session: Session, now: datetime) -> InboundEvent | None:
    """The next open event that is due, locked for this transaction (others skip it)."""
    stmt = (
        sa.select(InboundEvent)
        .where(InboundEvent.status.in_(OPEN), InboundEvent.next_attempt_at <= now)
        .order_by(InboundEvent.next_attempt_at, InboundEvent.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.execute(stmt).scalar_one_or_none()


def transition(session: Session, event_id: int, target: EventStatus, **values: Any) -> None:
    """Move an event to ``target``, guarded in the database by the transition table."""
    allowed = sources_of(target)
    result = session.execute(
        sa.update(T)
        .where(T.c.id == event_id, T.c.status.in_(allowed))
        .values(status=target, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.execute(sa.select(T.c.status).where(T.c.id == event_id)).scalar()
        if current is None:
            raise NotFound(f"event {event_id} does not exist")
        raise IllegalTransition(
            f"event {event_id} is {current}; it cannot become {target.value}",
            event_id=event_id,
            status=current,
        )


def get(session: Session, event_id: int) -> InboundEvent:
    event = session.get(InboundEvent, event_id)
    if event is None:
        raise NotFound(f"event {event_id} does not exist")
    return event


def search(
    session: Session,
    *,
    status: EventStatus | None = None,
    source: str | None = None,
    type: str | None = None,
    tenant_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[InboundEvent], int]:
    where = []
    if status is not None:
        where.append(InboundEvent.status == status)
    if source:
        where.append(InboundEvent.source == source)
    if type:
        where.append(InboundEvent.type == type)
    if tenant_id:
        where.append(InboundEvent.tenant_id == tenant_id)
    total = session.execute(sa.select(sa.func.count()).select_from(T).where(*where)).scalar_one()
    rows = session.execute(
        sa.select(InboundEvent)
        .where(*where)
        .order_by(InboundEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), total


def backlog(session: Session) -> Backlog:
    counts: dict[str, int] = dict(
        session.execute(
            sa.select(T.c.status, sa.func.count())
            .where(
                T.c.status.in_(
                    [
                        EventStatus.PENDING,
                        EventStatus.RETRYING,
                        EventStatus.FAILED,
                        EventStatus.DEAD,
                    ]
                )
            )
            .group_by(T.c.status)
        ).all()
    )
    oldest = session.execute(
        sa.select(sa.func.min(InboundEvent.received_at)).where(InboundEvent.status.in_(OPEN))
    ).scalar()
    return Backlog(
        pending=counts.get("pending", 0),
        retrying=counts.get("retrying", 0),
        failed=counts.get("failed", 0),
        dead=counts.get("dead", 0),
        oldest_open_received_at=oldest,
    )
