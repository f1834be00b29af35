"""Manual activation, JobRun's emergency procedure: the customer paid (Stripe says so) but the
webhook never came. The operator names the Stripe checkout session or subscription; Steward checks
it in Stripe, then activates exactly as the webhook would have, linked to the same Stripe
subscription, so the webhook arriving later finds it active and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

from steward.audit import service as audit
from steward.errors import Conflict, InvalidInput, ProviderError
from steward.runtime import Runtime
from steward.subscriptions import repository as repo
from steward.subscriptions import trials
from steward.subscriptions.handlers import ref, ts
from steward.subscriptions.machine import Change, Machine
from steward.subscriptions.models import Subscription, SubscriptionStatus
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants

S = SubscriptionStatus
LIVE = {"trialing": S.TRIALING, "active": S.ACTIVE}


class PaymentNotConfirmed(Conflict):
    """Stripe does not confirm a payment for this tenant; nothing was activated."""

    code = "payment_not_confirmed"


@dataclass(frozen=True)
class Activated:
    tenant_id: str
    status: str
    subscription: str
    customer: str | None


def _confirmed(runtime: Runtime, reference: str) -> tuple[dict[str, Any], str | None]:
    """The live Stripe subscription behind ``reference`` (cs_… or sub_…), and its checkout's
    plan metadata if any."""
    try:
        if reference.startswith("cs_"):
            checkout = runtime.stripe.client.v1.checkout.sessions.retrieve(reference)
            if checkout.status != "complete" or checkout.payment_status not in (
                "paid",
                "no_payment_required",
            ):
                raise PaymentNotConfirmed(
                    f"checkout session {reference} is {checkout.status}, payment "
                    f"{checkout.payment_status}: Stripe shows no payment"
                )
            sub_id = ref(checkout.subscription)
            if sub_id is None:
                raise PaymentNotConfirmed(f"checkout session {reference} has no subscription")
            metadata: dict[str, Any] = checkout.metadata.to_dict() if checkout.metadata else {}
            plan = metadata.get("plan")
            return runtime.stripe.retrieve_subscription(sub_id), plan
        if reference.startswith("sub_"):
            return runtime.stripe.retrieve_subscription(reference), None
    except stripe.InvalidRequestError as exc:
        raise PaymentNotConfirmed(f"Stripe does not know {reference}: {exc.user_message}") from exc
    raise InvalidInput(
        "stripe_reference: name a checkout session (cs_…) or a subscription (sub_…)",
        field="stripe_reference",
    )


def activate(
    runtime: Runtime, tenant_id: str, *, reference: str | None, reason: str, actor: str
) -> Activated:
    with runtime.db.read() as session:
        tenant = tenants_repo.get(session, tenant_id)
        reference = reference or tenant.stripe_subscription_id
    if not reference:
        raise InvalidInput(
            "stripe_reference: the tenant has no Stripe subscription yet; name the paid checkout "
            "session (cs_…) or subscription (sub_…) from Stripe's dashboard",
            field="stripe_reference",
        )
    try:
        remote, plan_key = _confirmed(runtime, reference)
    except ProviderError as exc:
        raise PaymentNotConfirmed(f"Stripe could not confirm {reference}: {exc}") from exc
    status = LIVE.get(str(remote.get("status")))
    sub_id, customer = str(remote["id"]), ref(remote.get("customer"))
    if status is None:
        raise PaymentNotConfirmed(f"subscription {sub_id} is {remote.get('status')} in Stripe")
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        tenant = tenants_repo.get(session, tenant_id, for_update=True)
        other = tenants_repo.find_by_stripe(session, subscription_id=sub_id, customer_id=None)
        if other is not None and other.id != tenant.id:
            raise Conflict(f"subscription {sub_id} already belongs to tenant {other.id}")
        sub = repo.by_stripe_id(session, sub_id)
        if sub is not None and sub.status not in (S.NONE, S.CHECKOUT_OPEN):
            raise Conflict(f"tenant {tenant_id} is already {sub.status.value} on {sub_id}")
        plan = runtime.product.plan(
            plan_key or (remote.get("metadata") or {}).get("plan") or tenant.plan
        )
        if sub is None:
            sub = repo.open_for(session, tenant.id, plan.key) or repo.add(
                session,
                Subscription(
                    tenant_id=tenant.id, plan=plan.key, status=S.NONE, created_at=now,
                    updated_at=now, cancel_at_period_end=False,
                ),
            )  # fmt: skip
            sub = repo.link_stripe_id(session, sub, sub_id)
        if customer and not sub.stripe_customer_id:
            sub.stripe_customer_id = customer
        before = {"billing_status": tenant.billing_status.value}
        runtime.service(Machine).apply(
            session,
            tenant,
            sub,
            Change(
                status=status, provider_time=None, cause=f"operator:{actor}",
                reason=f"activated by hand by {actor}: {reason}",
                trial_end=ts(remote.get("trial_end")),
                current_period_end=ts(remote.get("current_period_end")),
            ),
        )  # fmt: skip
        tenant.plan = plan.key
        if status is S.TRIALING:
            trials.claim(session, runtime.product, tenant, now)
        tenants.note(session, tenant, now, "manual_activation", f"{actor}: {reason} ({reference})")
        audit.record(
            session, now, actor=actor, action="tenant.activate", target=f"tenant:{tenant_id}",
            before=before,
            after={"billing_status": tenant.billing_status.value, "stripe": reference,
                   "reason": reason},
        )  # fmt: skip
        return Activated(tenant.id, tenant.billing_status.value, sub_id, customer)
