"""Stripe event handlers for the paid lifecycle.

Each handler runs inside the processor's transaction: its writes and the event's 'processed' mark
commit together. Order is not trusted: a change older than the applied state is skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from steward.errors import PermanentEventError, StewardError
from steward.events.bus import DomainEventBus
from steward.inbox.handlers import HandlerContext, HandlerRegistry
from steward.kit.clock import Clock
from steward.kit.phone import to_e164
from steward.product import Product
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from steward.tenants.models import BillingStatus, PaymentStatus, Tenant


class TenantNotYetKnown(StewardError):
    """The event names a Stripe object no tenant is linked to yet; it is retried, since the
    event that links it (checkout.session.completed) may still be on its way."""

    code = "tenant_not_yet_known"


STRIPE_STATUS = {
    "trialing": BillingStatus.TRIALING,
    "active": BillingStatus.ACTIVE,
    "past_due": BillingStatus.PAST_DUE,
    "unpaid": BillingStatus.PAST_DUE,
    "paused": BillingStatus.PAUSED,
    "canceled": BillingStatus.CANCELED,
    "incomplete": BillingStatus.CHECKOUT_OPEN,
    "incomplete_expired": BillingStatus.EXPIRED,
}


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) else None


def _id(value: Any) -> str | None:
    """A Stripe reference is an id string or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def register(
    registry: HandlerRegistry, product: Product, clock: Clock, bus: DomainEventBus
) -> None:
    def apply(ctx: HandlerContext, tenant: Tenant, change: tenants.BillingChange) -> None:
        """Apply a billing change; the first activation publishes ``tenant.activated``."""
        first = tenant.activated_at is None
        tenants.apply_billing(ctx.session, clock, tenant, change)
        if first and tenant.activated_at is not None:
            bus.publish(
                ctx.session,
                "tenant.activated",
                tenant_id=tenant.id,
                data={"plan": tenant.plan, "billing_status": tenant.billing_status.value},
                cause_event_id=ctx.event.id,
            )

    @registry.on("stripe", "checkout.session.completed")
    def checkout_completed(ctx: HandlerContext) -> None:
        obj = ctx.data_object
        metadata = obj.get("metadata") or {}
        reference = obj.get("client_reference_id") or metadata.get("tenant_id")
        if not reference:
            raise PermanentEventError(
                "checkout session has neither client_reference_id nor metadata.tenant_id, "
                "so no tenant can be activated"
            )
        tenant = tenants_repo.find(ctx.session, reference, for_update=True)
        if tenant is None:
            raise PermanentEventError(
                f"checkout session names tenant {reference}, which does not exist"
            )
        ctx.tenant_id = tenant.id
        if obj.get("payment_status") not in (None, "paid", "no_payment_required"):
            raise PermanentEventError(
                f"checkout session payment_status is {obj.get('payment_status')!r}; not activating"
            )
        _check_phone(ctx, tenant, obj)
        subscription_id = _id(obj.get("subscription"))
        if (
            tenant.payment_status is PaymentStatus.ACTIVE
            and tenant.stripe_subscription_id == subscription_id
        ):
            ctx.notes.append("already active: second activation is a no-op")
            tenants.note(
                ctx.session,
                tenant,
                clock.now(),
                "duplicate_activation",
                "checkout completed again for the same subscription; nothing changed",
                ctx.event.id,
            )
            return
        plan = product.plan(metadata.get("plan") or tenant.plan)
        trial_days = int(metadata.get("trial_days", plan.trial_days))
        happened = ctx.event.provider_created_at or clock.now()
        status = BillingStatus.TRIALING if trial_days > 0 else BillingStatus.ACTIVE
        apply(
            ctx,
            tenant,
            tenants.BillingChange(
                status=status,
                provider_time=ctx.event.provider_created_at,
                reason=f"checkout completed for plan {plan.key}",
                event_id=ctx.event.id,
                trial_ends_at=happened + timedelta(days=trial_days) if trial_days else None,
                customer_id=_id(obj.get("customer")),
                subscription_id=subscription_id,
            ),
        )
        tenant.plan = plan.key

    @registry.on(
        "stripe",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    )
    def subscription_changed(ctx: HandlerContext) -> None:
        sub = ctx.data_object
        tenant = _tenant_for(ctx, sub)
        ctx.tenant_id = tenant.id
        deleted = ctx.event.type == "customer.subscription.deleted"
        raw = "canceled" if deleted else str(sub.get("status"))
        status = STRIPE_STATUS.get(raw)
        if status is None:
            raise PermanentEventError(f"subscription status {raw!r} is not one Steward knows")
        apply(
            ctx,
            tenant,
            tenants.BillingChange(
                status=status,
                provider_time=ctx.event.provider_created_at,
                reason=f"{ctx.event.type} ({raw})",
                event_id=ctx.event.id,
                trial_ends_at=_ts(sub.get("trial_end"))
                if status is BillingStatus.TRIALING
                else None,
                customer_id=_id(sub.get("customer")),
                subscription_id=_id(sub.get("id")),
            ),
        )


def _tenant_for(ctx: HandlerContext, sub: dict[str, Any]) -> Tenant:
    reference = (sub.get("metadata") or {}).get("tenant_id")
    if reference:
        tenant = tenants_repo.find(ctx.session, reference, for_update=True)
        if tenant is not None:
            return tenant
    tenant = tenants_repo.find_by_stripe(
        ctx.session, subscription_id=_id(sub.get("id")), customer_id=_id(sub.get("customer"))
    )
    if tenant is None:
        raise TenantNotYetKnown(
            f"no tenant is linked to subscription {_id(sub.get('id'))} or customer "
            f"{_id(sub.get('customer'))} yet"
        )
    return tenant


def _check_phone(ctx: HandlerContext, tenant: Tenant, obj: dict[str, Any]) -> None:
    """JobRun's 'phone mismatch': recorded on the timeline, never a crash."""
    raw = (obj.get("customer_details") or {}).get("phone")
    if not raw or not tenant.phone:
        return
    try:
        paid_with = to_e164(raw)
    except StewardError:
        paid_with = raw
    if paid_with != tenant.phone:
        ctx.notes.append("phone mismatch")
        tenants.note(
            ctx.session,
            tenant,
            datetime.now(UTC),
            "phone_mismatch",
            "the phone given at checkout differs from the tenant's phone; activation proceeds "
            "on the tenant reference",
            ctx.event.id,
        )
