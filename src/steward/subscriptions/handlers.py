"""Stripe event handlers for the paid lifecycle. Each runs in the processor's transaction, so its
writes and the event's 'processed' mark commit together."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from steward.errors import PermanentEventError, StewardError
from steward.inbox.handlers import HandlerContext
from steward.kit.phone import mask_phone, to_e164
from steward.module import On
from steward.subscriptions import repository as repo
from steward.subscriptions import trials
from steward.subscriptions.machine import Change, Machine
from steward.subscriptions.models import CheckoutStatus, Subscription, SubscriptionStatus
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from steward.tenants.models import Tenant

S = SubscriptionStatus
STRIPE_STATUS = {
    "trialing": S.TRIALING, "active": S.ACTIVE, "past_due": S.PAST_DUE, "unpaid": S.PAST_DUE,
    "paused": S.PAUSED, "canceled": S.CANCELED, "incomplete": S.CHECKOUT_OPEN,
    "incomplete_expired": S.EXPIRED,
}  # fmt: skip


class TenantNotYetKnown(StewardError):
    """The event names a Stripe object no tenant is linked to yet; it is retried, since the event
    that links it may still be on its way."""

    code = "tenant_not_yet_known"


def ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) else None


def ref(value: Any) -> str | None:
    """A Stripe reference is an id string or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _machine(ctx: HandlerContext) -> Machine:
    return ctx.runtime.service(Machine)


def _move(
    ctx: HandlerContext,
    tenant: Tenant,
    sub: Subscription,
    status: SubscriptionStatus,
    reason: str,
    **dates: Any,
) -> bool:
    """Apply a status change this event causes."""
    change = Change(
        status=status,
        provider_time=ctx.event.provider_created_at,
        cause=f"event:{ctx.event.id}",
        reason=reason,
        event_id=ctx.event.id,
        **dates,
    )
    return _machine(ctx).apply(ctx.session, tenant, sub, change)


# -- checkout --------------------------------------------------------------------------------
def checkout_completed(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    metadata = obj.get("metadata") or {}
    if obj.get("mode") == "payment":
        _one_off(ctx, obj, metadata)
        return
    tenant = _checkout_tenant(ctx, obj, metadata)
    ctx.tenant_id = tenant.id
    if obj.get("payment_status") not in (None, "paid", "no_payment_required"):
        raise PermanentEventError(
            f"checkout session payment_status is {obj.get('payment_status')!r}; not activating"
        )
    _check_phone(ctx, tenant, obj)
    checkout = repo.checkout_by_stripe_id(ctx.session, str(obj.get("id")))
    if checkout is not None and checkout.status is not CheckoutStatus.COMPLETE:
        repo.close_checkout(ctx.session, checkout, CheckoutStatus.COMPLETE)
    plan = ctx.runtime.product.plan(
        metadata.get("plan") or (checkout.plan if checkout else tenant.plan)
    )
    trial_days = int(
        metadata.get("trial_days", checkout.trial_days if checkout else plan.trial_days)
    )
    sub = _subscription(
        ctx, tenant, ref(obj.get("subscription")), plan.key, ref(obj.get("customer"))
    )
    if sub.status not in (S.NONE, S.CHECKOUT_OPEN):
        ctx.notes.append("already active: second activation is a no-op")
        tenants.note(
            ctx.session,
            tenant,
            ctx.runtime.clock.now(),
            "duplicate_activation",
            "checkout completed again for the same subscription; nothing changed",
            ctx.event.id,
        )
        return
    start = ctx.event.provider_created_at or ctx.runtime.clock.now()
    _move(
        ctx, tenant, sub, S.TRIALING if trial_days else S.ACTIVE,
        f"checkout completed for plan {plan.key}",
        trial_end=start + trials.days(trial_days) if trial_days else None,
    )  # fmt: skip
    tenant.plan = plan.key
    if trial_days:
        trials.claim(ctx.session, ctx.runtime.product, tenant, ctx.runtime.clock.now())


_UNNAMED = "checkout session has neither client_reference_id nor metadata.tenant_id"


def _checkout_tenant(ctx: HandlerContext, obj: dict[str, Any], metadata: dict[str, Any]) -> Tenant:
    """The tenant a checkout names, or, for a Payment Link (no reference), the one tenant whose
    phone is ``metadata.phone_number`` or ``customer_details.phone``."""
    reference = obj.get("client_reference_id") or metadata.get("tenant_id")
    if reference:
        tenant = tenants_repo.find(ctx.session, reference, for_update=True)
        if tenant is None:
            raise PermanentEventError(
                f"checkout session names tenant {reference}, which does not exist"
            )
        return tenant
    raw = metadata.get("phone_number") or (obj.get("customer_details") or {}).get("phone")
    if not raw:
        raise PermanentEventError(
            f"{_UNNAMED}, nor a phone (metadata.phone_number, customer_details.phone), "
            "so no tenant can be activated"
        )
    try:
        phone = to_e164(str(raw), ctx.runtime.product.default_region)
    except StewardError as exc:
        raise PermanentEventError(f"{_UNNAMED}, and its phone cannot be read: {exc}") from exc
    found = tenants_repo.by_phone(ctx.session, phone)
    if len(found) != 1:
        raise PermanentEventError(
            f"{_UNNAMED}, and its phone {mask_phone(phone)} matches "
            + ("no tenant" if not found else "more than one tenant")
            + "; activate the right tenant by hand (POST /admin/api/tenants/{id}/activate) "
            "or fix the phone and replay this event"
        )
    ctx.notes.append("tenant matched by phone")
    return found[0]


def _one_off(ctx: HandlerContext, obj: dict[str, Any], metadata: dict[str, Any]) -> None:
    """A paid one-off checkout is a wallet top-up (the wallets handler applies it) or it names a
    tenant; one that does neither would be money nobody accounts for, so it fails, visibly."""
    if metadata.get("wallet_id") or obj.get("payment_status") != "paid":
        return
    reference = obj.get("client_reference_id") or metadata.get("tenant_id")
    tenant = tenants_repo.find(ctx.session, reference) if reference else None
    if tenant is None:
        raise PermanentEventError(
            f"paid one-off checkout {obj.get('id')} is not a wallet top-up and names "
            + (f"tenant {reference}, which does not exist" if reference else "no tenant")
            + "; nothing applied it"
        )
    ctx.tenant_id = tenant.id
    tenants.note(
        ctx.session, tenant, ctx.runtime.clock.now(), "one_off_payment",
        f"one-off checkout {obj.get('id')} paid {obj.get('amount_total')} {obj.get('currency')}",
        ctx.event.id,
    )  # fmt: skip


def checkout_expired(ctx: HandlerContext) -> None:
    checkout = repo.checkout_by_stripe_id(ctx.session, str(ctx.data_object.get("id")))
    if checkout is None or checkout.status is not CheckoutStatus.OPEN:
        return
    repo.close_checkout(ctx.session, checkout, CheckoutStatus.EXPIRED)
    ctx.tenant_id = checkout.tenant_id
    sub = repo.open_for(ctx.session, checkout.tenant_id, checkout.plan)
    tenant = tenants_repo.get(ctx.session, checkout.tenant_id, for_update=True)
    if sub is not None:
        _move(ctx, tenant, sub, S.EXPIRED, "checkout session expired")


# -- the subscription itself -----------------------------------------------------------------
def subscription_changed(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    tenant = _tenant_for(
        ctx, obj.get("metadata") or {}, ref(obj.get("id")), ref(obj.get("customer"))
    )
    raw = "canceled" if ctx.event.type.endswith(".deleted") else str(obj.get("status"))
    status = STRIPE_STATUS.get(raw)
    if status is None:
        raise PermanentEventError(f"subscription status {raw!r} is not one Steward knows")
    plan = (obj.get("metadata") or {}).get("plan") or tenant.plan
    sub = _subscription(ctx, tenant, ref(obj.get("id")), plan, ref(obj.get("customer")))
    _move(
        ctx,
        tenant,
        sub,
        status,
        f"{ctx.event.type} ({raw})",
        trial_end=ts(obj.get("trial_end")),
        current_period_end=ts(obj.get("current_period_end")),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
    )
    if status is S.TRIALING:
        trials.claim(ctx.session, ctx.runtime.product, tenant, ctx.runtime.clock.now())


def invoice_paid(ctx: HandlerContext) -> None:
    sub, tenant = _invoice_subscription(ctx)
    if sub is None or tenant is None or sub.status is not S.PAST_DUE:
        return
    _move(ctx, tenant, sub, S.ACTIVE, "invoice paid: payment recovered")


def invoice_failed(ctx: HandlerContext) -> None:
    sub, tenant = _invoice_subscription(ctx)
    if sub is None or tenant is None or sub.status not in (S.TRIALING, S.ACTIVE):
        return
    _move(ctx, tenant, sub, S.PAST_DUE, "invoice payment failed")


def charge_problem(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    customer = ref(obj.get("customer"))
    if customer is None and isinstance(obj.get("charge"), dict):
        customer = ref(obj["charge"].get("customer"))
    tenant = tenants_repo.find_by_stripe(ctx.session, subscription_id=None, customer_id=customer)
    if tenant is None:
        ctx.notes.append(f"no tenant for customer {customer}; nothing to do")
        return
    ctx.tenant_id = tenant.id
    dispute = ctx.event.type == "charge.dispute.created"
    amount = obj.get("amount_refunded" if not dispute else "amount")
    ctx.runtime.bus.publish(
        ctx.session,
        ctx.event.type,
        tenant_id=tenant.id,
        data={"amount": amount, "currency": obj.get("currency"), "object": obj.get("id")},
        cause_event_id=ctx.event.id,
    )
    tenants.note(
        ctx.session,
        tenant,
        ctx.runtime.clock.now(),
        "dispute" if dispute else "refund",
        f"{ctx.event.type}: {amount} {obj.get('currency')}",
        ctx.event.id,
    )
    policy = ctx.runtime.product.plan(tenant.plan)
    if (policy.dispute_policy if dispute else policy.refund_policy) == "suspend":
        sub = repo.current_for(ctx.session, tenant.id)
        if sub is not None:
            _machine(ctx).suspend(
                ctx.session,
                tenant,
                sub,
                f"{ctx.event.type}: access suspended by the plan's policy",
                ctx.event.id,
            )


def trial_will_end(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    tenant = _tenant_for(
        ctx, obj.get("metadata") or {}, ref(obj.get("id")), ref(obj.get("customer"))
    )
    ctx.runtime.bus.publish(
        ctx.session,
        "subscription.trial_will_end",
        tenant_id=tenant.id,
        data={"trial_end": obj.get("trial_end"), "subscription": ref(obj.get("id"))},
        cause_event_id=ctx.event.id,
    )


def card_seen(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    fingerprint = (obj.get("card") or {}).get("fingerprint")
    tenant = tenants_repo.find_by_stripe(
        ctx.session, subscription_id=None, customer_id=ref(obj.get("customer"))
    )
    if not fingerprint or tenant is None:
        return
    ctx.tenant_id = tenant.id
    trials.card_seen(
        ctx.session, ctx.runtime.bus, tenant, fingerprint, ctx.runtime.clock.now(), ctx.event.id
    )


# -- lookups ---------------------------------------------------------------------------------
def _tenant_for(
    ctx: HandlerContext,
    metadata: dict[str, Any],
    sub_id: str | None,
    customer_id: str | None,
) -> Tenant:
    tenant = None
    if metadata.get("tenant_id"):
        tenant = tenants_repo.find(ctx.session, metadata["tenant_id"], for_update=True)
    tenant = tenant or tenants_repo.find_by_stripe(
        ctx.session, subscription_id=sub_id, customer_id=customer_id
    )
    if tenant is None:
        raise TenantNotYetKnown(
            f"no tenant is linked to subscription {sub_id} or customer {customer_id} yet"
        )
    ctx.tenant_id = tenant.id
    return tenant


def _subscription(
    ctx: HandlerContext,
    tenant: Tenant,
    stripe_id: str | None,
    plan: str,
    customer_id: str | None,
) -> Subscription:
    """The row for this Stripe subscription: found, adopted from the tenant's open checkout,
    or created. Concurrent handlers end on one row (unique Stripe id)."""
    sub = repo.by_stripe_id(ctx.session, stripe_id) if stripe_id else None
    if sub is None:
        sub = repo.open_for(ctx.session, tenant.id, plan) or repo.add(
            ctx.session,
            Subscription(
                tenant_id=tenant.id,
                plan=plan,
                status=S.NONE,
                created_at=ctx.runtime.clock.now(),
                updated_at=ctx.runtime.clock.now(),
                cancel_at_period_end=False,
            ),
        )
        if stripe_id:
            sub = repo.link_stripe_id(ctx.session, sub, stripe_id)
    if customer_id and not sub.stripe_customer_id:
        sub.stripe_customer_id = customer_id
    return sub


def _invoice_subscription(ctx: HandlerContext) -> tuple[Subscription | None, Tenant | None]:
    obj = ctx.data_object
    parent = (obj.get("parent") or {}).get("subscription_details") or {}
    sub_id = ref(obj.get("subscription")) or ref(parent.get("subscription"))
    if sub_id is None:
        return None, None  # not a subscription invoice
    tenant = _tenant_for(ctx, parent.get("metadata") or {}, sub_id, ref(obj.get("customer")))
    sub = repo.by_stripe_id(ctx.session, sub_id)
    if sub is None:
        raise TenantNotYetKnown(f"subscription {sub_id} is not known yet")
    return sub, tenant


def _check_phone(ctx: HandlerContext, tenant: Tenant, obj: dict[str, Any]) -> None:
    """JobRun's 'phone mismatch': recorded on the timeline, never a crash."""
    raw = (obj.get("customer_details") or {}).get("phone")
    if not raw or not tenant.phone:
        return
    try:
        paid_with = to_e164(raw, ctx.runtime.product.default_region)
    except StewardError:
        paid_with = raw
    if paid_with != tenant.phone:
        ctx.notes.append("phone mismatch")
        tenants.note(
            ctx.session,
            tenant,
            ctx.runtime.clock.now(),
            "phone_mismatch",
            "the phone given at checkout differs from the tenant's phone; activation "
            "proceeds on the tenant reference",
            ctx.event.id,
        )


ON = (
    On("stripe", ("checkout.session.completed",), checkout_completed),
    On("stripe", ("checkout.session.expired",), checkout_expired),
    On(
        "stripe",
        (
            "customer.subscription.created",
            "customer.subscription.updated",
            "customer.subscription.deleted",
        ),
        subscription_changed,
    ),
    On("stripe", ("invoice.paid", "invoice.payment_succeeded"), invoice_paid),
    On("stripe", ("invoice.payment_failed",), invoice_failed),
    On("stripe", ("charge.refunded", "charge.dispute.created"), charge_problem),
    On("stripe", ("customer.subscription.trial_will_end",), trial_will_end),
    On("stripe", ("payment_method.attached",), card_seen),
)
