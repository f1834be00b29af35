"""Self-serve and upkeep: cancel, billing portal, entitlements, the grace period, drift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from steward.errors import Conflict, NotFound, ProviderError
from steward.runtime import Runtime
from steward.subscriptions import repository as repo
from steward.subscriptions.handlers import STRIPE_STATUS, ts
from steward.subscriptions.machine import Change, Machine
from steward.subscriptions.models import FINAL, Subscription, SubscriptionStatus
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants

if TYPE_CHECKING:
    pass

log = structlog.get_logger("steward.subscriptions")
S = SubscriptionStatus


@dataclass(frozen=True)
class Entitlements:
    tenant_id: str
    plan: str | None
    status: str
    access: str  # "full", "grace", "suspended" or "none"
    trial_ends_at: datetime | None
    grace_ends_at: datetime | None
    cancel_at_period_end: bool
    current_period_end: datetime | None


def entitlements(runtime: Runtime, tenant_id: str) -> Entitlements:
    """What the tenant may use now. Also the in-process call for the product's own code."""
    with runtime.db.read() as session:
        tenant = tenants_repo.get(session, tenant_id)
        sub = repo.current_for(session, tenant_id)
        if sub is None:
            return Entitlements(tenant_id, None, "none", "none", None, None, False, None)
        grace_end = None
        if sub.suspended_at is not None:
            access = "suspended"
        elif sub.status in (S.TRIALING, S.ACTIVE):
            access = "full"
        elif sub.status is S.PAST_DUE:
            plan = runtime.product.plan(sub.plan)
            grace_end = (sub.past_due_since or runtime.clock.now()) + timedelta(
                days=plan.grace_days
            )
            access = "grace"
        else:
            access = "none"
        return Entitlements(
            tenant.id,
            sub.plan,
            sub.status.value,
            access,
            sub.trial_end,
            grace_end,
            sub.cancel_at_period_end,
            sub.current_period_end,
        )


@dataclass(frozen=True)
class CancelResult:
    subscription: str
    mode: str  # "immediate" or "period_end"
    effective_at: datetime | None


def cancel(runtime: Runtime, tenant_id: str) -> CancelResult:
    """Cancel at period end, or at once during a trial when the plan says so. Stripe's webhook
    then moves the state, as it does for a cancellation made in Stripe's dashboard."""
    with runtime.db.read() as session:
        sub = repo.current_for(session, tenant_id)
        if sub is None or sub.stripe_subscription_id is None or sub.status in FINAL:
            raise NotFound(f"tenant {tenant_id} has no subscription to cancel")
        if sub.cancel_at_period_end:
            raise Conflict("the subscription is already set to end at the period's end")
        plan = runtime.product.plan(sub.plan)
        immediate = sub.status is S.TRIALING and plan.cancel_policy == "immediate_in_trial"
        stripe_id, period_end = sub.stripe_subscription_id, sub.current_period_end
    key = f"cancel:{stripe_id}:{'now' if immediate else 'period_end'}"
    if immediate:
        runtime.stripe.cancel_subscription(stripe_id, key)
    else:
        runtime.stripe.cancel_at_period_end(stripe_id, key)
    with runtime.db.transaction() as session:
        tenant = tenants_repo.get(session, tenant_id, for_update=True)
        tenants.note(
            session,
            tenant,
            runtime.clock.now(),
            "cancel_requested",
            "canceled by the customer, " + ("at once (trial)" if immediate else "at period end"),
        )
    return CancelResult(
        stripe_id, "immediate" if immediate else "period_end", None if immediate else period_end
    )


def portal_url(runtime: Runtime, tenant_id: str, return_url: str | None) -> str:
    with runtime.db.read() as session:
        tenant = tenants_repo.get(session, tenant_id)
        customer = tenant.stripe_customer_id
    if not customer:
        raise Conflict(f"tenant {tenant_id} has no Stripe customer yet; check out first")
    return runtime.stripe.create_portal_session(customer, return_url or runtime.settings.public_url)


def enforce_grace(runtime: Runtime) -> int:
    """Suspend tenants past due beyond their plan's grace period; returns how many."""
    now = runtime.clock.now()
    shortest = min(p.grace_days for p in runtime.product.plans)
    suspended = 0
    with runtime.db.transaction() as session:
        for sub in repo.past_due_unsuspended(session, now - timedelta(days=shortest)):
            grace = timedelta(days=runtime.product.plan(sub.plan).grace_days)
            if sub.past_due_since is None or sub.past_due_since + grace > now:
                continue
            tenant = tenants_repo.get(session, sub.tenant_id, for_update=True)
            if runtime.service(Machine).suspend(
                session,
                tenant,
                sub,
                f"past due since {sub.past_due_since:%Y-%m-%d %H:%M} UTC, "
                f"beyond the {grace.days}-day grace period",
            ):
                suspended += 1
    return suspended


def reconcile_drift(runtime: Runtime, batch: int = 200) -> int:
    """Re-fetch live subscriptions from Stripe; correct and record any that drifted."""
    drifted, after = 0, 0
    while True:
        with runtime.db.read() as session:
            subs = repo.live_with_stripe_id(session, after, batch)
        if not subs:
            return drifted
        after = subs[-1].id
        for sub in subs:
            drifted += _check_one(runtime, sub)


def _check_one(runtime: Runtime, sub: Subscription) -> int:
    assert sub.stripe_subscription_id is not None
    try:
        remote = runtime.stripe.retrieve_subscription(sub.stripe_subscription_id)
    except ProviderError as exc:
        log.warning("drift.unreadable", subscription=sub.stripe_subscription_id, error=str(exc))
        return 0
    status = STRIPE_STATUS.get(str(remote.get("status")))
    if status is None or status is sub.status:
        return 0
    with runtime.db.transaction() as session:
        tenant = tenants_repo.get(session, sub.tenant_id, for_update=True)
        local = repo.by_stripe_id(session, sub.stripe_subscription_id)
        if local is None or local.status is status:
            return 0
        before = local.status
        runtime.service(Machine).apply(
            session,
            tenant,
            local,
            Change(
                status=status,
                provider_time=None,
                cause="sync",
                reason=f"drift: Stripe says {status.value}, Steward had {before.value}",
                trial_end=ts(remote.get("trial_end")),
                current_period_end=ts(remote.get("current_period_end")),
                cancel_at_period_end=bool(remote.get("cancel_at_period_end")),
            ),
        )
        runtime.bus.publish(
            session,
            "subscription.drift",
            tenant_id=tenant.id,
            data={
                "subscription": local.stripe_subscription_id,
                "was": before.value,
                "now": status.value,
            },
        )
    return 1
