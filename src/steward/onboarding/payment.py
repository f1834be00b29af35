"""The payment gate's link: a Stripe Checkout Session for the product's plan that names the
customer only by phone (``metadata.phone_number``), as a Payment Link does; the paid checkout is
matched back to the tenant by that phone (subscriptions.handlers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import stripe

from steward.errors import ProviderError
from steward.flows import Entered, OnEnter
from steward.subscriptions import trials
from steward.tenants import repository as tenants_repo

LINK = "payment_link"  # the signal holding the URL, for the state's prompt


def payment_link(plan_key: str | None = None) -> OnEnter:
    def enter(entered: Entered) -> Mapping[str, str]:
        if entered.facts.signals.get(LINK):
            return {}  # sent already (a replay of the same entry)
        runtime = entered.runtime
        plan = runtime.product.plan(plan_key)
        tenant = tenants_repo.get(entered.session, entered.tenant_id)
        refused = (
            trials.refusal(entered.session, runtime.product, tenant) if plan.trial_days else None
        )
        trial_days = 0 if refused else plan.trial_days
        metadata = {
            "phone_number": entered.address,
            "plan": plan.key,
            "trial_days": str(trial_days),
        }
        subscription_data: dict[str, Any] = {"metadata": metadata}
        if trial_days:
            subscription_data["trial_period_days"] = trial_days
        base = runtime.settings.public_url.rstrip("/")
        params: dict[str, Any] = {
            "mode": "subscription",
            "metadata": metadata,
            "line_items": [
                {"price": plan.stripe_price_id, "quantity": 1} if plan.stripe_price_id else {
                    "quantity": 1,
                    "price_data": {
                        "currency": plan.currency, "unit_amount": plan.price,
                        "recurring": {"interval": plan.interval},
                        "product_data": {"name": plan.name},
                    },
                }
            ],
            "subscription_data": subscription_data,
            "success_url": f"{base}/checkout/done",
            "cancel_url": f"{base}/checkout/canceled",
        }  # fmt: skip
        if "@" in tenant.email and not tenant.email.endswith(".invalid"):
            params["customer_email"] = tenant.email
        try:
            session = runtime.stripe.client.v1.checkout.sessions.create(
                cast(Any, params), options={"idempotency_key": entered.idempotency_key}
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe: cannot create the payment link: {exc}") from exc
        offer = f"start your {trial_days}-day free trial" if trial_days else "subscribe"
        found = {LINK: str(session.url), "checkout_session": session.id, "offer": offer}
        if refused:
            found["trial_refused"] = refused
        return found

    return enter
