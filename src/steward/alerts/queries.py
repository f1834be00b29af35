"""The conditions of the built-in sweep rules. Each is one indexed query whose cost follows the
rows that match (capped at ``LIMIT``), not the number of tenants or events."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.alerts.rule import Match, Rule
from steward.inbox.models import OPEN, EventStatus, InboundEvent
from steward.tenants.models import PaymentStatus, Tenant

__all__ = ["LIMIT", "Match", "backlog_age", "dead_letters", "payment_gate"]

_EPSILON = timedelta(microseconds=1)
LIMIT = 5000  # matches per rule per sweep; the rest are found on the next sweep


def payment_gate(session: Session, now: datetime, rule: Rule) -> list[Match]:
    """Tenants that signed up before ``now - threshold`` and never paid
    (index ``ix_tenants_payment_created``)."""
    rows = session.execute(
        sa.select(Tenant.id, Tenant.name, Tenant.created_at)
        .where(
            Tenant.payment_status == PaymentStatus.NONE,
            Tenant.created_at < now - rule.threshold,
        )
        .order_by(Tenant.created_at)
        .limit(LIMIT)
    ).all()
    return [
        Match(
            f"tenant:{tid}",
            f"{name} signed up {_age(now - at)} ago and has not paid",
            tid,
            at,
        )
        for tid, name, at in rows
    ]


def dead_letters(session: Session, now: datetime, rule: Rule) -> list[Match]:
    """Dead-lettered events (index ``ix_inbound_events_status_next``)."""
    rows = session.execute(
        sa.select(
            InboundEvent.id, InboundEvent.type, InboundEvent.tenant_id, InboundEvent.last_error
        )
        .where(
            InboundEvent.status == EventStatus.DEAD,
            InboundEvent.next_attempt_at < now - rule.threshold + _EPSILON,
        )
        .order_by(InboundEvent.next_attempt_at)
        .limit(LIMIT)
    ).all()
    return [
        Match(f"event:{eid}", f"{etype} (event {eid}) is dead: {(err or '')[:200]}", tenant)
        for eid, etype, tenant, err in rows
    ]


def backlog_age(session: Session, now: datetime, rule: Rule) -> list[Match]:
    """The oldest open event, if it is older than the threshold (open rows only)."""
    oldest = session.execute(
        sa.select(sa.func.min(InboundEvent.received_at)).where(InboundEvent.status.in_(OPEN))
    ).scalar()
    if oldest is None or now - oldest < rule.threshold:
        return []
    return [Match("inbox", f"the oldest unprocessed event has waited {_age(now - oldest)}")]


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        return f"{seconds // 86400} d {seconds % 86400 // 3600} h"
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 60} min"
