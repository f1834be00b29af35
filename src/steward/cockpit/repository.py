"""The cockpit's read queries. Lists are keyed on indexed columns with LIMIT/OFFSET, and counts
are capped (``COUNT_CAP``) so a page costs the same with 100,000 tenants or 1,000,000 events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.alerts.models import Alert
from steward.audit.models import AuditEntry
from steward.inbox.models import EventStatus, InboundEvent
from steward.tenants.models import Tenant, TimelineEntry

COUNT_CAP = 10_000


def capped_count(session: Session, stmt: sa.Select[Any]) -> int:
    """Exact up to COUNT_CAP, then COUNT_CAP + 1 (shown as "10,000+")."""
    sub = stmt.limit(COUNT_CAP + 1).subquery()
    return int(session.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one())


def tenants(session: Session, q: str, limit: int, offset: int) -> tuple[list[Tenant], int]:
    """By id, by email prefix, or by case-insensitive name prefix (index ranges, so a search
    costs what it finds); without a query, newest first."""
    where: list[Any] = []
    order: list[Any] = [Tenant.created_at.desc(), Tenant.id.desc()]
    q = q.strip().lower()
    if q.startswith("ten_"):
        where.append(Tenant.id == q)
    elif "@" in q:
        where += [Tenant.email >= q, Tenant.email < q + "\uffff"]
        order = [Tenant.email, Tenant.id]
    elif q:
        name = sa.func.lower(Tenant.name)
        where += [name >= q, name < q + "\uffff"]
        order = [name, Tenant.id]
    total = capped_count(session, sa.select(Tenant.id).where(*where))
    rows = session.execute(
        sa.select(Tenant).where(*where).order_by(*order).limit(limit).offset(offset)
    ).scalars()
    return list(rows), total


def events(
    session: Session,
    status: EventStatus | None,
    type_: str | None,
    tenant_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[InboundEvent], int]:
    where: list[Any] = []
    if status is not None:
        where.append(InboundEvent.status == status)
    if type_:
        where.append(InboundEvent.type == type_)
    if tenant_id:
        where.append(InboundEvent.tenant_id == tenant_id)
    total = capped_count(session, sa.select(InboundEvent.id).where(*where))
    rows = session.execute(
        sa.select(InboundEvent)
        .where(*where)
        .order_by(InboundEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), total


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    source: str  # tenant, event, alert, operator
    kind: str
    message: str
    link: str = ""


def tenant_timeline(session: Session, tenant_id: str, limit: int = 100) -> list[TimelineItem]:
    """The tenant's own timeline (state changes, provisioning notes), its inbound events, its
    alerts and the operator actions on it, merged newest first."""
    items: list[TimelineItem] = []
    for t in session.execute(
        sa.select(TimelineEntry)
        .where(TimelineEntry.tenant_id == tenant_id)
        .order_by(TimelineEntry.at.desc())
        .limit(limit)
    ).scalars():
        items.append(TimelineItem(t.at, "tenant", t.kind, t.message))
    for e in session.execute(
        sa.select(InboundEvent)
        .where(InboundEvent.tenant_id == tenant_id)
        .order_by(InboundEvent.id.desc())
        .limit(limit)
    ).scalars():
        items.append(
            TimelineItem(
                e.received_at,
                "event",
                e.status.value,
                f"{e.type} ({e.external_id})",
                f"/cockpit/events/{e.id}",
            )
        )
    for a in session.execute(
        sa.select(Alert).where(Alert.tenant_id == tenant_id).order_by(Alert.id.desc()).limit(limit)
    ).scalars():
        items.append(
            TimelineItem(
                a.first_seen_at,
                "alert",
                f"{a.severity} · {a.status.value}",
                f"{a.title}: {a.message}",
                f"/cockpit/alerts?alert_id={a.id}",
            )
        )
    for r in session.execute(
        sa.select(AuditEntry)
        .where(AuditEntry.target == f"tenant:{tenant_id}")
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ).scalars():
        items.append(TimelineItem(r.at, "operator", r.action, f"by {r.actor}: {r.after}"))
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]


def recent_audit(session: Session, limit: int = 8) -> list[AuditEntry]:
    return list(
        session.execute(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).scalars()
    )
