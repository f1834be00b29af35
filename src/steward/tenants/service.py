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


def mirror_billing(
    session: Session,
    clock: Clock,
    tenant: Tenant,
    *,
    status: BillingStatus,
    trial_ends_at: datetime | None,
    provider_time: datetime | None,
    reason: str,
    event_id: int | None = None,
    customer_id: str | None = None,
    subscription_id: str | None = None,
) -> bool:
    """Show the tenant's current subscription on the tenant; True on its first activation."""
    now = clock.now()
    first = tenant.activated_at is None and status in SERVICE_ON
    if customer_id and not tenant.stripe_customer_id:
        tenant.stripe_customer_id = customer_id
    if subscription_id:
        tenant.stripe_subscription_id = subscription_id
    before = tenant.billing_status
    tenant.billing_status = status
    tenant.payment_status = payment_status_for(status)
    tenant.trial_ends_at = trial_ends_at if status is BillingStatus.TRIALING else None
    tenant.billing_changed_at = provider_time or now
    tenant.updated_at = now
    if first:
        tenant.activated_at = now
    if before is not status:
        note(
            session,
            tenant,
            now,
            "billing",
            f"billing {before.value} → {status.value}: {reason}",
            event_id,
        )
    return first
