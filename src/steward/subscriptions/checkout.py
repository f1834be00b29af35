"""Open a checkout: at most one open session per tenant and plan, whoever asks and how often.

Two short transactions around the provider call, so no database lock is held while Stripe
answers: (1) reserve a 'creating' row whose ``open_key`` is unique per tenant and plan — a
concurrent request finds it and reuses its idempotency key; (2) call Stripe with that key (the
same key gives the same session); (3) record the session. Ten concurrent requests give one row and
one Stripe session."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from steward.errors import Conflict, StewardError
from steward.runtime import Runtime
from steward.subscriptions import repository as repo
from steward.subscriptions import trials
from steward.subscriptions.models import (
    CheckoutSession,
    CheckoutStatus,
    Subscription,
    SubscriptionStatus,
)
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from steward.tenants.models import SERVICE_ON

log = structlog.get_logger("steward.checkout")


class CheckoutDisabled(StewardError):
    """Checkout is switched off by the operator; try again later."""

    code = "checkout_disabled"
    http_status = 503


@dataclass(frozen=True)
class CheckoutResult:
    url: str
    session_id: str
    plan: str
    trial_days: int
    reused: bool
    trial_refusal: str | None = None


def open_checkout(runtime: Runtime, tenant_id: str, plan_key: str | None) -> CheckoutResult:
    if not runtime.flags.enabled("checkout"):
        raise CheckoutDisabled()
    plan = runtime.product.plan(plan_key)
    now = runtime.clock.now()
    refusal: str | None = None
    with runtime.db.transaction() as session:
        tenant = tenants_repo.get(session, tenant_id, for_update=True)
        if tenant.billing_status in SERVICE_ON:
            raise Conflict(
                f"tenant {tenant_id} already has a {tenant.billing_status.value} "
                "subscription; use the billing portal to change it"
            )
        checkout = repo.open_checkout(session, tenant_id, plan.key)
        if checkout is None:
            refusal = trials.refusal(session, runtime.product, tenant) if plan.trial_days else None
            trial_days = 0 if refusal else plan.trial_days
            generation = repo.count_checkouts(session, tenant_id, plan.key) + 1
            repo.reserve_checkout(
                session,
                {
                    "tenant_id": tenant_id,
                    "plan": plan.key,
                    "status": CheckoutStatus.CREATING,
                    "open_key": f"{tenant_id}:{plan.key}",
                    "trial_days": trial_days,
                    "idempotency_key": f"checkout:{tenant_id}:{plan.key}:{generation}",
                    "created_at": now,
                },
            )
            if refusal:
                tenants.note(session, tenant, now, "trial_refused", refusal)
            if repo.open_for(session, tenant_id, plan.key) is None:
                repo.add(
                    session,
                    Subscription(
                        tenant_id=tenant_id,
                        plan=plan.key,
                        status=SubscriptionStatus.CHECKOUT_OPEN,
                        cancel_at_period_end=False,
                        created_at=now,
                        updated_at=now,
                    ),
                )
            checkout = repo.open_checkout(session, tenant_id, plan.key)
        assert checkout is not None
        reserved = _snapshot(checkout)
        email, customer = tenant.email, tenant.stripe_customer_id
    if reserved.url and reserved.stripe_session_id:
        return CheckoutResult(
            reserved.url, reserved.stripe_session_id, plan.key, reserved.trial_days, reused=True
        )
    base = runtime.settings.public_url.rstrip("/")
    created = runtime.stripe.create_checkout_session(
        tenant_id=tenant_id,
        email=email,
        plan_key=plan.key,
        plan_name=plan.name,
        price=plan.price,
        currency=plan.currency,
        interval=plan.interval,
        trial_days=reserved.trial_days,
        stripe_price_id=plan.stripe_price_id,
        success_url=f"{base}/checkout/done",
        cancel_url=f"{base}/checkout/canceled",
        idempotency_key=reserved.idempotency_key,
        customer_id=customer,
    )
    with runtime.db.transaction() as session:
        repo.record_checkout_open(session, reserved.id, created.id, created.url)
    log.info("checkout.opened", tenant_id=tenant_id, plan=plan.key, checkout_session=created.id)
    return CheckoutResult(
        created.url, created.id, plan.key, reserved.trial_days, reused=False, trial_refusal=refusal
    )


@dataclass(frozen=True)
class _Reserved:
    id: int
    idempotency_key: str
    trial_days: int
    url: str | None
    stripe_session_id: str | None


def _snapshot(c: CheckoutSession) -> _Reserved:
    return _Reserved(c.id, c.idempotency_key, c.trial_days, c.url, c.stripe_session_id)
