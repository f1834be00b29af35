"""The subscription lifecycle in the sandbox: updates, cancellation, the billing portal, and a
test clock. ``advance(seconds)`` moves the sandbox's time and does what Stripe does at each
boundary crossed: the trial-will-end notice 3 days ahead, the trial's end, renewals (paid, or
declined for customers marked as declining), and cancellation at period end."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from stripe.params import CouponCreateParams, SubscriptionCancelParams, SubscriptionUpdateParams
from stripe.params.billing_portal import SessionCreateParams as PortalParams

from steward.providers.stripe.sandbox.params import known
from steward.providers.stripe.sandbox.state import JSON, add_interval, invalid, text

if TYPE_CHECKING:
    from steward.providers.stripe.sandbox import StripeSandbox

DAY = 86_400
Call = Callable[[Request, Callable[[JSON, JSON], JSON], frozenset[str]], Awaitable[Response]]


class Lifecycle:
    def __init__(self, sandbox: StripeSandbox) -> None:
        self.sandbox = sandbox
        self.store = sandbox.store
        self.offset = 0
        base = self.store.now
        self.store.now = lambda: base() + self.offset
        self.declining: set[str] = set()  # customer ids whose charges decline; "*" for everyone

    # -- Stripe's API -----------------------------------------------------------------------------
    def update_subscription(self, sub_id: str, params: JSON) -> JSON:
        with self.store.lock:
            sub = self.store.get(sub_id, "subscription")
            if sub["status"] in ("canceled", "incomplete_expired"):
                raise invalid(f"A canceled subscription can only update its metadata: {sub_id}")
            previous: JSON = {}
            if "cancel_at_period_end" in params:
                flag = str(params["cancel_at_period_end"]).lower() == "true"
                previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
                sub["cancel_at_period_end"] = flag
                sub["cancel_at"] = sub["current_period_end"] if flag else None
            if isinstance(params.get("metadata"), dict):
                previous["metadata"] = dict(sub["metadata"])
                sub["metadata"].update(params["metadata"])
            if "discounts" in params:
                previous["discounts"] = [d["id"] for d in sub.get("discounts") or []]
                sub["discounts"] = [self._discount(sub, d) for d in params["discounts"] or []]
            self._emit("customer.subscription.updated", sub, previous)
            return copy.deepcopy(sub)

    def create_coupon(self, params: JSON, _info: JSON | None = None) -> JSON:
        """``POST /v1/coupons``: a percent or an amount off, once, repeating or forever."""
        percent, amount = params.get("percent_off"), params.get("amount_off")
        if (percent is None) == (amount is None):
            raise invalid("You must pass exactly one of percent_off or amount_off.", "percent_off")
        if amount is not None and not params.get("currency"):
            raise invalid("You must pass currency when passing amount_off.", "currency")
        duration = params.get("duration", "once")
        if duration not in ("once", "repeating", "forever"):
            raise invalid(f"Invalid duration: {duration}", "duration")
        with self.store.lock:
            coupon: JSON = {
                "id": params.get("id") or self.store.new_id("co"), "object": "coupon",
                "percent_off": float(percent) if percent is not None else None,
                "amount_off": int(amount) if amount is not None else None,
                "currency": params.get("currency"), "duration": duration,
                "duration_in_months": params.get("duration_in_months"), "valid": True,
                "created": self.store.ts(), "livemode": False, "metadata": {},
            }  # fmt: skip
            self.store.put(coupon)
            return copy.deepcopy(coupon)

    def _discount(self, sub: JSON, spec: Any) -> JSON:
        coupon_id = spec.get("coupon") if isinstance(spec, dict) else None
        if not coupon_id:
            raise invalid("Each discount needs a coupon.", "discounts")
        coupon = self.store.get(coupon_id, "coupon", param="discounts", status=400)
        return {
            "id": self.store.new_id("di"), "object": "discount", "coupon": copy.deepcopy(coupon),
            "subscription": sub["id"], "customer": sub["customer"], "start": self.store.ts(),
        }  # fmt: skip

    def _discounted(self, sub: JSON, amount: int) -> int:
        """The invoice amount after the subscription's discounts; ``once`` ones are used up."""
        kept = []
        for discount in sub.get("discounts") or []:
            coupon = discount["coupon"]
            if coupon["percent_off"] is not None:
                amount = round(amount * (100 - coupon["percent_off"]) / 100)
            else:
                amount = max(0, amount - coupon["amount_off"])
            if coupon["duration"] != "once":
                kept.append(discount)
        sub["discounts"] = kept
        return amount

    def cancel_subscription(self, sub_id: str, _params: JSON | None = None) -> JSON:
        with self.store.lock:
            sub = self.store.get(sub_id, "subscription")
            if sub["status"] == "canceled":
                raise invalid(
                    f"No such subscription: '{sub_id}' is already canceled",
                    "id",
                    "resource_missing",
                )
            now = self.store.ts()
            sub.update(status="canceled", canceled_at=now, ended_at=now)
            self._emit("customer.subscription.deleted", sub)
            return copy.deepcopy(sub)

    def portal_session(self, params: JSON, base: str) -> JSON:
        customer = text(params, "customer", required=True)
        assert customer is not None
        self.store.get(customer, "customer", param="customer", status=400)
        session_id = self.store.new_id("bps")
        return {
            "id": session_id, "object": "billing_portal.session", "customer": customer,
            "created": self.store.ts(), "livemode": False,
            "return_url": text(params, "return_url"), "url": f"{base}/_sandbox/portal/{session_id}",
        }  # fmt: skip

    # -- the test clock ---------------------------------------------------------------------------
    def advance(self, seconds: int) -> int:
        """Move time forward in steps of at most a day; returns how many events were emitted."""
        before = len(self.store.events)
        remaining = seconds
        while remaining > 0:
            step = min(remaining, DAY)
            with self.store.lock:
                self.offset += step
                for sub in list(self._subscriptions()):
                    self._tick(sub, self.store.ts(), step)
            remaining -= step
        return len(self.store.events) - before

    def _subscriptions(self) -> list[JSON]:
        return [o for o in self.store.objects.values() if o.get("object") == "subscription"]

    def _tick(self, sub: JSON, now: int, step: int) -> None:
        status = sub["status"]
        if status == "trialing" and sub["trial_end"]:
            notice_at = sub["trial_end"] - 3 * DAY
            if now - step < notice_at <= now:
                self._emit("customer.subscription.trial_will_end", sub)
            if sub["trial_end"] <= now:
                self._renew(sub, sub["trial_end"], "subscription_cycle")
        elif status in ("active", "past_due") and sub["current_period_end"] <= now:
            if sub["cancel_at_period_end"]:
                sub.update(status="canceled", canceled_at=now, ended_at=sub["current_period_end"])
                self._emit("customer.subscription.deleted", sub)
            else:
                self._renew(sub, sub["current_period_end"], "subscription_cycle")

    def _renew(self, sub: JSON, at: int, reason: str) -> None:
        if sub["cancel_at_period_end"]:
            sub.update(status="canceled", canceled_at=at, ended_at=at)
            self._emit("customer.subscription.deleted", sub)
            return
        interval = sub["items"]["data"][0]["price"]["recurring"]
        declined = "*" in self.declining or sub["customer"] in self.declining
        amount = sum(i["price"]["unit_amount"] * i["quantity"] for i in sub["items"]["data"])
        amount = self._discounted(sub, amount)
        previous = {"status": sub["status"]}
        invoice = self._invoice(sub, amount, at, reason, paid=not declined)
        if declined:
            sub["status"] = "past_due"
            self._emit("invoice.payment_failed", invoice)
        else:
            end = add_interval(at, interval["interval"], interval["interval_count"])
            sub.update(status="active", current_period_start=at, current_period_end=end)
            self._emit("invoice.paid", invoice)
        sub["latest_invoice"] = invoice["id"]
        if previous["status"] != sub["status"] or not declined:
            self._emit("customer.subscription.updated", sub, previous)

    def _invoice(self, sub: JSON, amount: int, at: int, reason: str, paid: bool) -> JSON:
        invoice_id = self.store.new_id("in")
        invoice: JSON = {
            "id": invoice_id, "object": "invoice", "amount_due": amount,
            "amount_paid": amount if paid else 0, "amount_remaining": 0 if paid else amount,
            "attempt_count": 1, "attempted": True, "billing_reason": reason, "created": at,
            "currency": sub["currency"], "customer": sub["customer"], "livemode": False,
            "metadata": {}, "status": "paid" if paid else "open", "subscription": sub["id"],
            "parent": {"type": "subscription_details", "subscription_details": {
                "metadata": sub["metadata"], "subscription": sub["id"]}},
            "period_start": at, "period_end": at, "total": amount,
        }  # fmt: skip
        self.store.objects[invoice_id] = invoice
        return invoice

    def _emit(self, type: str, obj: JSON, previous: JSON | None = None) -> None:
        event = self.store.emit(type, obj)
        if previous:
            event["data"]["previous_attributes"] = previous


UPDATE_PARAMS = frozenset(SubscriptionUpdateParams.__annotations__) | {"expand"}
CANCEL_PARAMS = frozenset(SubscriptionCancelParams.__annotations__) | {"expand"}
COUPON_PARAMS = known(CouponCreateParams) | {"expand"}
PORTAL_PARAMS = frozenset(PortalParams.__annotations__) | {"expand"}


def install(
    app: FastAPI, sandbox: StripeSandbox, call: Call, base_url: Callable[[Request], str]
) -> None:
    life = sandbox.lifecycle

    @app.post("/v1/subscriptions/{sub_id}")
    async def update(request: Request, sub_id: str) -> Response:
        return await call(request, lambda p, i: life.update_subscription(sub_id, p), UPDATE_PARAMS)

    @app.post("/v1/coupons")
    async def create_coupon(request: Request) -> Response:
        return await call(request, life.create_coupon, COUPON_PARAMS)

    @app.delete("/v1/subscriptions/{sub_id}")
    async def cancel(request: Request, sub_id: str) -> Response:
        return await call(request, lambda p, i: life.cancel_subscription(sub_id, p), CANCEL_PARAMS)

    @app.post("/v1/billing_portal/sessions")
    async def portal(request: Request) -> Response:
        base = base_url(request)
        return await call(request, lambda p, i: life.portal_session(p, base), PORTAL_PARAMS)

    @app.get("/_sandbox/portal/{session_id}")
    async def portal_page(session_id: str) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><meta charset=utf-8><title>Billing portal (sandbox)</title>"
            f"<h1>Billing portal</h1><p>Sandbox portal session {session_id}.</p>"
        )

    @app.post("/_sandbox/advance")
    async def advance(request: Request) -> Response:
        body: Any = await request.json()
        seconds = int(body.get("seconds", 0)) if isinstance(body, dict) else 0
        if seconds <= 0:
            return JSONResponse({"error": {"message": "seconds must be positive"}}, 400)
        return JSONResponse({"emitted": life.advance(seconds), "now": sandbox.store.ts()})
