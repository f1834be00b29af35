"""Tenant use cases: create, read, and apply billing changes in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from steward.errors import InvalidInput
from steward.kit.clock import Clock
from steward.kit.ids import new_id
from steward.kit.phone import to_e164
from steward.product import Product
from steward.tenants import repository as repo
from steward.tenants.models import (
    SERVICE_ON,
    BillingStatus,
    PaymentStatus,
    Tenant,
    TimelineEntry,
)


@dataclass(frozen=True)
class NewTenant:
    email: str
    name: str
    phone: str | None = None
    plan: str | None = None


def create(session: Session, product: Product, clock: Clock, data: NewTenant) -> Tenant:
    email = data.email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise InvalidInput("email: not an email address", field="email")
    if not data.name.strip():
        raise InvalidInput("name: must not be empty", field="name")
    plan = product.plan(data.plan)
    phone = to_e164(data.phone, product.default_region) if data.phone else None
    now = clock.now()
    tenant = repo.add(
        session,
        Tenant(
            id=new_id("ten"),
            email=email,
            name=data.name.strip(),
            phone=phone,
            plan=plan.key,
            payment_status=PaymentStatus.NONE,
            billing_status=BillingStatus.NONE,
            created_at=now,
            updated_at=now,
        ),
    )
    note(session, tenant, now, "created", f"tenant created on plan {plan.key}")
    return tenant


def note(
    session: Session,
    tenant: Tenant,
    at: datetime,
    kind: str,
    message: str,
    event_id: int | None = None,
) -> None:
    repo.append_timeline(
        session,
        TimelineEntry(tenant_id=tenant.id, at=at, kind=kind, message=message, event_id=event_id),
    )


def payment_status_for(status: BillingStatus) -> PaymentStatus:
    """Derived from the billing status alone, so any delivery order gives the same answer."""
    if status in SERVICE_ON:
        return PaymentStatus.ACTIVE
    if status in (BillingStatus.NONE, BillingStatus.CHECKOUT_OPEN):
        return PaymentStatus.NONE
    return PaymentStatus.INACTIVE


@dataclass(frozen=True)
class BillingChange:
    status: BillingStatus
    provider_time: datetime | None  # when the provider says the change happened
    reason: str
    event_id: int | None = None
    trial_ends_at: datetime | None = None
    customer_id: str | None = None
    subscription_id: str | None = None


def apply_billing(session: Session, clock: Clock, tenant: Tenant, change: BillingChange) -> bool:
    """Apply a billing change unless a newer one is already applied; returns whether it applied.

    Provider ids are filled in whatever the order, since they never go stale.
    """
    now = clock.now()
    if change.customer_id and not tenant.stripe_customer_id:
        tenant.stripe_customer_id = change.customer_id
    if change.subscription_id and not tenant.stripe_subscription_id:
        tenant.stripe_subscription_id = change.subscription_id
    tenant.updated_at = now
    last = tenant.billing_changed_at
    if last is not None and change.provider_time is not None and change.provider_time < last:
        note(
            session,
            tenant,
            now,
            "stale_event",
            f"skipped {change.reason}: it predates the state already applied",
            change.event_id,
        )
        return False
    before = tenant.billing_status
    tenant.billing_status = change.status
    tenant.billing_changed_at = change.provider_time or now
    if change.trial_ends_at is not None or change.status is not BillingStatus.TRIALING:
        tenant.trial_ends_at = change.trial_ends_at
    tenant.payment_status = payment_status_for(change.status)
    if change.status in SERVICE_ON:
        tenant.activated_at = tenant.activated_at or now
    note(
        session,
        tenant,
        now,
        "billing",
        f"billing {before.value} → {change.status.value}: {change.reason}",
        change.event_id,
    )
    return True
