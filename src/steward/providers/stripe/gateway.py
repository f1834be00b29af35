"""Steward's calls to Stripe, through the official SDK. The same code talks to the real API or to
the sandbox: only the base address differs. Every write carries an idempotency key."""

from __future__ import annotations

from collections.abc import Iterator
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

    # -- subscriptions lifecycle -------------------------------------------------------
    def cancel_subscription(self, subscription_id: str, idempotency_key: str) -> dict[str, Any]:
        try:
            sub = self.client.v1.subscriptions.cancel(
                subscription_id, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe: cannot cancel {subscription_id}: {exc}") from exc
        return sub.to_dict()

    def cancel_at_period_end(self, subscription_id: str, idempotency_key: str) -> dict[str, Any]:
        try:
            sub = self.client.v1.subscriptions.update(
                subscription_id,
                {"cancel_at_period_end": True},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe: cannot end {subscription_id} later: {exc}") from exc
        return sub.to_dict()

    def apply_coupon(
        self, subscription_id: str, coupon_id: str, idempotency_key: str
    ) -> dict[str, Any]:
        """Discount the subscription's coming invoices (recovery's incentive)."""
        try:
            sub = self.client.v1.subscriptions.update(
                subscription_id,
                {"discounts": [{"coupon": coupon_id}]},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe: cannot discount {subscription_id}: {exc}") from exc
        return sub.to_dict()

    def create_portal_session(self, customer_id: str, return_url: str) -> str:
        try:
            session = self.client.v1.billing_portal.sessions.create(
                {"customer": customer_id, "return_url": return_url}
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe: cannot open the billing portal: {exc}") from exc
        return str(session.url)

    def list_events_since(self, created_gte: int, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every event created at or after ``created_gte``, newest first, page by page."""
        starting_after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size, "created": {"gte": created_gte}}
            if starting_after:
                params["starting_after"] = starting_after
            try:
                page = self.client.v1.events.list(cast(Any, params))
            except stripe.StripeError as exc:
                raise ProviderError(f"stripe: cannot list events: {exc}") from exc
            for event in page.data:
                yield event.to_dict()
            if not page.has_more or not page.data:
                return
            starting_after = page.data[-1].id

    # -- wallets: top-ups and off-session recharges ----------------------------------
    def create_order_checkout(
        self,
        *,
        order_id: str,
        tenant_id: str,
        name: str,
        amount: int,
        currency: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        customer_id: str | None = None,
        email: str | None = None,
    ) -> CheckoutSession:
        """A one-off checkout (mode=payment) for one order; its completion provisions the order."""
        return self._one_off_checkout(
            {"order_id": order_id, "tenant_id": tenant_id, "purpose": "order"},
            tenant_id=tenant_id,
            name=name,
            amount=amount,
            currency=currency,
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=idempotency_key,
            customer_id=customer_id,
            email=email,
            what="order",
        )

    def create_topup_checkout(
        self,
        *,
        wallet_id: str,
        tenant_id: str,
        amount: int,
        currency: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        customer_id: str | None = None,
        email: str | None = None,
    ) -> CheckoutSession:
        """A one-off checkout (mode=payment); its completion webhook credits the wallet."""
        return self._one_off_checkout(
            {"wallet_id": wallet_id, "tenant_id": tenant_id, "purpose": "topup"},
            tenant_id=tenant_id,
            name="Wallet top-up",
            amount=amount,
            currency=currency,
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=idempotency_key,
            customer_id=customer_id,
            email=email,
            what="top-up",
        )

    def _one_off_checkout(
        self,
        metadata: dict[str, str],
        *,
        tenant_id: str,
        name: str,
        amount: int,
        currency: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        customer_id: str | None,
        email: str | None,
        what: str,
    ) -> CheckoutSession:
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": tenant_id,
            "metadata": metadata,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": amount,
                        "product_data": {"name": name},
                    },
                }
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if customer_id:
            params["customer"] = customer_id
        elif email:
            params["customer_email"] = email
        try:
            session = self.client.v1.checkout.sessions.create(
                cast(Any, params), options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe: cannot create {what} checkout: {exc}") from exc
        return CheckoutSession(id=session.id, url=str(session.url))

    def charge_saved_card(
        self,
        *,
        amount: int,
        currency: str,
        customer_id: str,
        payment_method: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]:
        """An off-session charge; ``{"id", "status", "declined"}``. A decline is an answer, not
        an error; any other failure raises ProviderError (retry with the same key)."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency,
            "customer": customer_id,
            "payment_method": payment_method,
            "confirm": True,
            "off_session": True,
            "metadata": metadata,
        }
        try:
            pi = self.client.v1.payment_intents.create(
                cast(Any, params), options={"idempotency_key": idempotency_key}
            )
        except stripe.CardError as exc:
            return {"id": None, "status": "requires_payment_method", "declined": True,
                    "message": str(exc.user_message or exc)}  # fmt: skip
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe: cannot charge {customer_id}: {exc}") from exc
        return {"id": pi.id, "status": pi.status, "declined": False, "message": ""}
