"""Steward's calls to Stripe, through the official SDK. The same code talks to the real API or to
the sandbox: only the base address differs. Every write carries an idempotency key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import stripe

from steward.errors import ProviderError


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


class StripeGateway:
    def __init__(self, api_key: str, api_base: str = "") -> None:
        kwargs: dict[str, Any] = {"max_network_retries": 2}
        if api_base:
            kwargs["base_addresses"] = {"api": api_base.rstrip("/")}
        self.client = stripe.StripeClient(api_key, **kwargs)

    def create_checkout_session(
        self,
        *,
        tenant_id: str,
        email: str,
        plan_key: str,
        plan_name: str,
        price: int,
        currency: str,
        interval: str,
        trial_days: int,
        stripe_price_id: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        customer_id: str | None = None,
    ) -> CheckoutSession:
        item: dict[str, Any]
        if stripe_price_id:
            item = {"price": stripe_price_id, "quantity": 1}
        else:
            item = {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": price,
                    "recurring": {"interval": interval},
                    "product_data": {"name": plan_name},
                },
            }
        metadata = {"tenant_id": tenant_id, "plan": plan_key, "trial_days": str(trial_days)}
        subscription_data: dict[str, Any] = {"metadata": metadata}
        if trial_days:
            subscription_data["trial_period_days"] = trial_days
        params: dict[str, Any] = {
            "mode": "subscription",
            "client_reference_id": tenant_id,
            "metadata": metadata,
            "line_items": [item],
            "subscription_data": subscription_data,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if customer_id:
            params["customer"] = customer_id
        else:
            params["customer_email"] = email
        try:
            session = self.client.v1.checkout.sessions.create(
                cast(Any, params), options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe: cannot create checkout session: {exc}") from exc
        return CheckoutSession(id=session.id, url=str(session.url))

    def retrieve_subscription(self, subscription_id: str) -> dict[str, Any]:
        try:
            sub = self.client.v1.subscriptions.retrieve(subscription_id)
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe: cannot retrieve {subscription_id}: {exc}") from exc
        return sub.to_dict()
