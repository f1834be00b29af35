"""Queries on tenants and their timeline."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.errors import NotFound
from steward.tenants.models import Tenant, TimelineEntry


def add(session: Session, tenant: Tenant) -> Tenant:
    session.add(tenant)
    session.flush()
    return tenant


def get(session: Session, tenant_id: str, *, for_update: bool = False) -> Tenant:
    tenant = find(session, tenant_id, for_update=for_update)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} does not exist")
    return tenant


def find(session: Session, tenant_id: str, *, for_update: bool = False) -> Tenant | None:
    stmt = sa.select(Tenant).where(Tenant.id == tenant_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def by_phone(session: Session, phone: str, limit: int = 2) -> list[Tenant]:
    """Tenants with this E.164 phone, locked; two are enough to know it is ambiguous."""
    return list(
        session.execute(
            sa.select(Tenant).where(Tenant.phone == phone).order_by(Tenant.id).limit(limit)
            .with_for_update()
        ).scalars()
    )  # fmt: skip


def find_by_stripe(
    session: Session, *, subscription_id: str | None, customer_id: str | None
) -> Tenant | None:
    for column, value in (
        (Tenant.stripe_subscription_id, subscription_id),
        (Tenant.stripe_customer_id, customer_id),
    ):
        if value:
            found = session.execute(
                sa.select(Tenant).where(column == value).with_for_update()
            ).scalar_one_or_none()
            if found is not None:
                return found
    return None


def append_timeline(session: Session, entry: TimelineEntry) -> None:
    session.add(entry)


def timeline(session: Session, tenant_id: str, limit: int = 200) -> list[TimelineEntry]:
    rows = session.execute(
        sa.select(TimelineEntry)
        .where(TimelineEntry.tenant_id == tenant_id)
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
        .limit(limit)
    ).scalars()
    return list(rows)
