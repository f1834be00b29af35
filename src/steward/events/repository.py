"""Queries on domain events."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.errors import NotFound
from steward.events.models import DomainEvent


def add(session: Session, event: DomainEvent) -> DomainEvent:
    session.add(event)
    session.flush()
    return event


def get(session: Session, event_id: int) -> DomainEvent:
    event = session.get(DomainEvent, event_id)
    if event is None:
        raise NotFound(f"domain event {event_id} does not exist")
    return event


def recent(
    session: Session,
    *,
    types: list[str] | None = None,
    tenant_id: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[DomainEvent]:
    stmt = sa.select(DomainEvent)
    if types:
        stmt = stmt.where(DomainEvent.type.in_(types))
    if tenant_id:
        stmt = stmt.where(DomainEvent.tenant_id == tenant_id)
    if since is not None:
        stmt = stmt.where(DomainEvent.created_at >= since)
    return list(session.execute(stmt.order_by(DomainEvent.id.desc()).limit(limit)).scalars())
