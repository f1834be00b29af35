"""PaymentIntents in the sandbox: an off-session charge of a saved card, as wallets' top-ups and
auto-recharge make it (``POST /v1/payment_intents`` with ``confirm=true, off_session=true``).

A charge succeeds (``payment_intent.succeeded``) unless its card declines: Stripe's test card
``pm_card_chargeDeclined``, or a customer in ``sandbox.lifecycle.declining`` ("*" for all). A
decline answers 402 ``card_error``/``card_declined`` with the payment intent, and emits
``payment_intent.payment_failed``. The same idempotency key replays the first outcome, decline
included, so a retried request never charges twice."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from stripe.params import PaymentIntentCreateParams

from steward.providers.stripe.sandbox.params import known
from steward.providers.stripe.sandbox.state import (
    JSON,
    SandboxError,
    integer,
    invalid,
    metadata,
    text,
)

if TYPE_CHECKING:
    from steward.providers.stripe.sandbox import StripeSandbox

Call = Callable[[Request, Callable[[JSON, JSON], JSON], frozenset[str]], Awaitable[Response]]
DECLINING_CARDS = {"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"}
_PARAMS = known(PaymentIntentCreateParams)


class Payments:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self.sandbox = sandbox
        self.store = sandbox.store
        self._by_key: dict[str, str] = {}  # idempotency key -> payment intent id
        self.charges: list[JSON] = []  # every payment intent that took money

    def declines(self, customer: str | None, payment_method: str | None) -> bool:
        declining = self.sandbox.lifecycle.declining
        return payment_method in DECLINING_CARDS or "*" in declining or customer in declining

    def create(self, params: JSON, info: JSON) -> JSON:
        key = info.get("idempotency_key")
        with self.store.lock:
            if key and key in self._by_key:
                return self._outcome(self.store.get(self._by_key[key], "payment_intent"))
            amount = integer(params, "amount", required=True, lo=1, hi=99_999_999)
            currency = str(text(params, "currency", required=True)).lower()
            customer = text(params, "customer")
            if customer:
                self.store.get(customer, "customer", param="customer", status=400)
            method = text(params, "payment_method")
            confirm = str(params.get("confirm", "false")).lower() == "true"
            if confirm and not method:
                raise invalid("You must provide a payment_method to confirm.", "payment_method")
            now, pi_id = self.store.ts(), self.store.new_id("pi")
            pi: JSON = {
                "id": pi_id, "object": "payment_intent", "amount": amount, "amount_received": 0,
                "currency": currency, "customer": customer, "created": now,
                "description": text(params, "description"), "livemode": False,
                "metadata": metadata(params), "payment_method": method,
                "status": "requires_confirmation", "last_payment_error": None,
                "latest_charge": None,
            }  # fmt: skip
            if key:
                self._by_key[key] = pi_id
            if confirm:
                if self.declines(customer, method):
                    pi["status"] = "requires_payment_method"
                    pi["last_payment_error"] = {
                        "type": "card_error", "code": "card_declined",
                        "decline_code": "generic_decline", "message": "Your card was declined.",
                    }  # fmt: skip
                    self.store.put(pi)
                    self.store.emit("payment_intent.payment_failed", pi, info)
                else:
                    pi.update(status="succeeded", amount_received=amount,
                              latest_charge=self.store.new_id("ch"))  # fmt: skip
                    self.store.put(pi)
                    self.charges.append(copy.deepcopy(pi))
                    self.store.emit("payment_intent.succeeded", pi, info)
            else:
                self.store.put(pi)
            return self._outcome(pi)

    def _outcome(self, pi: JSON) -> JSON:
        if pi["status"] == "requires_payment_method" and pi["last_payment_error"]:
            raise SandboxError(
                402, "Your card was declined.", code="card_declined", type="card_error"
            )
        return copy.deepcopy(pi)


def install(app: FastAPI, sandbox: StripeSandbox, call: Call) -> Payments:
    payments = Payments(sandbox)
    sandbox.payments = payments  # type: ignore[attr-defined]

    @app.post("/v1/payment_intents")
    async def create_payment_intent(request: Request) -> Response:
        return await call(request, payments.create, _PARAMS)

    @app.get("/v1/payment_intents/{pi_id}")
    async def get_payment_intent(request: Request, pi_id: str) -> Response:
        return await call(
            request, lambda p, i: sandbox.store.get(pi_id, "payment_intent"), frozenset({"expand"})
        )

    return payments
