"""A local Stripe: the REST API Steward calls, real signed webhooks, and faults on the wire.

The real ``stripe`` SDK talks to ``StripeSandbox.app`` unchanged (mount it and point the SDK's
``api`` base address at the mount). When a customer pays (``complete_checkout`` or the pay page),
the sandbox does what Stripe does: customer, subscription, completed session, paid invoice, and
the events for each, delivered signed to ``webhook_url`` by a background thread."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from steward.providers.stripe.sandbox.api import build_app
from steward.providers.stripe.sandbox.delivery import Deliverer, DeliveryRecord, Faults
from steward.providers.stripe.sandbox.lifecycle import Lifecycle
from steward.providers.stripe.sandbox.state import (
    JSON,
    NO_REQUEST,
    SandboxError,
    Store,
    add_interval,
    integer,
    invalid,
    metadata,
    missing,
    stripe_list,
    text,
)

__all__ = ["DeliveryRecord", "Faults", "SandboxError", "StripeSandbox"]

_STORABLE = {"customer", "subscription", "invoice", "checkout.session", "price", "product"}


class StripeSandbox:
    def __init__(
        self, webhook_url: str, webhook_secret: str, now: Callable[[], int] | None = None
    ) -> None:
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.faults = Faults()
        self.store = Store(now or (lambda: int(time.time())))
        self._deliverer = Deliverer(webhook_url, webhook_secret, lambda: self.faults)
        self.store.on_event = self._deliverer.enqueue
        self.lifecycle = Lifecycle(self)
        self.app: FastAPI = build_app(self)

    # -- delivery ------------------------------------------------------------------------------
    def start(self) -> None:
        self._deliverer.start()

    def stop(self) -> None:
        self._deliverer.stop()

    def flush(self) -> int:
        """Release the events held by ``faults.reorder``, newest first; returns their count."""
        return self._deliverer.flush()

    def wait_idle(self, timeout: float = 10) -> bool:
        return self._deliverer.wait_idle(timeout)

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        return self._deliverer.records

    @property
    def events(self) -> list[JSON]:
        with self.store.lock:
            return list(self.store.events)

    def emit(self, type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Record and queue an event. An ``obj`` with the id of a Stripe object also becomes that
        object's current state, so ``GET`` agrees with the latest event, as it would at Stripe."""
        with self.store.lock:
            if isinstance(obj.get("id"), str) and obj.get("object") in _STORABLE:
                self.store.put(obj)
            return self.store.emit(type, obj)

    # -- checkout ------------------------------------------------------------------------------
    def create_checkout_session(
        self, params: JSON, base_url: str, request: JSON | None = None
    ) -> JSON:
        mode = text(params, "mode", required=True)
        if mode not in ("payment", "subscription"):
            raise invalid(
                f"Invalid mode: the sandbox supports payment and subscription ({mode}).", "mode"
            )
        customer_id, email = text(params, "customer"), text(params, "customer_email")
        if customer_id and email:
            raise invalid("You may only specify one of these parameters: customer, customer_email.")
        at, sub_data = "subscription_data", params.get("subscription_data") or {}
        if sub_data and mode != "subscription":
            raise invalid(f"You can not pass `subscription_data` in `{mode}` mode.", at)
        if not isinstance(sub_data, dict):
            raise invalid("Invalid hash: subscription_data", at)
        trial_days = integer(sub_data, "trial_period_days", lo=1, hi=730, at=at)
        sub_meta = metadata(sub_data, at=at)
        raw_items = params.get("line_items")
        if not isinstance(raw_items, list) or not raw_items:
            raise invalid("Missing required param: line_items.", "line_items", "parameter_missing")
        with self.store.lock:
            if customer_id:
                self.store.get(customer_id, "customer", param="customer", status=400)
            items = [
                self._line_item(it, f"line_items[{i}]", mode) for i, it in enumerate(raw_items)
            ]
            if mode == "subscription" and not any(li["price"]["recurring"] for li in items):
                raise invalid(
                    "You must specify at least one recurring price in `subscription` mode.",
                    "line_items",
                )
            if len({li["currency"] for li in items}) > 1:
                raise invalid("All line items must use the same currency.", "line_items")
            now, session_id = self.store.ts(), self.store.new_id("cs_test")
            total = sum(li["amount_total"] for li in items)
            session: JSON = {
                "id": session_id, "object": "checkout.session", "amount_subtotal": total,
                "amount_total": total, "cancel_url": text(params, "cancel_url"),
                "client_reference_id": text(params, "client_reference_id", max_len=200),
                "created": now, "currency": items[0]["currency"], "customer": customer_id,
                "customer_creation": None if customer_id else "always",
                "customer_details": None, "customer_email": email, "expires_at": now + 86_400,
                "invoice": None, "livemode": False, "locale": None,
                "metadata": metadata(params), "mode": mode, "payment_intent": None,
                "payment_method_types": ["card"], "payment_status": "unpaid", "status": "open",
                "subscription": None, "success_url": text(params, "success_url"),
                "ui_mode": "hosted", "url": f"{base_url}/_sandbox/pay/{session_id}",
            }  # fmt: skip
            self.store.save_session(session, items, trial_days, sub_meta)
            return session

    def expire_checkout_session(self, session_id: str, request: JSON | None = None) -> JSON:
        with self.store.lock:
            session = self.store.get(session_id, "checkout.session")
            if session["status"] != "open":
                raise invalid('Only Checkout Sessions with a status in ["open"] can be expired.')
            session.update(status="expired", url=None)
            self.store.emit("checkout.session.expired", session, request)
            return session

    def complete_checkout(self, session_id: str, phone: str | None = None) -> JSON | None:
        """The customer pays. Returns the new subscription (None in payment mode). A session that
        is not open (already paid, expired) raises a 409 ``SandboxError``."""
        with self.store.lock:
            session = self.store.get(session_id, "checkout.session")
            if session["status"] != "open":
                raise SandboxError(
                    409,
                    f"Checkout Session {session_id} is {session['status']}, "
                    "not open: it cannot be paid.",
                    code="checkout_session_not_open",
                )
            store, now = self.store, self.store.ts()
            new_customer = session["customer"] is None
            if new_customer:
                customer = store.create_customer(
                    {"email": session["customer_email"], "phone": phone}, NO_REQUEST, emit=False
                )
            else:
                customer = store.get(session["customer"], "customer")
            items, trial_days, sub_meta = store.session_extras(session_id)
            subscription = invoice = None
            if session["mode"] == "subscription":
                subscription = self._subscription(customer, items, trial_days, sub_meta, now)
                if not trial_days:
                    invoice = self._invoice(customer, subscription, items, now)
                    subscription["latest_invoice"] = invoice["id"]
            session.update(
                status="complete", url=None, customer=customer["id"],
                payment_status="no_payment_required" if trial_days else "paid",
                subscription=subscription and subscription["id"],
                invoice=invoice and invoice["id"],
                payment_intent=store.new_id("pi") if session["mode"] == "payment" else None,
                customer_details={
                    "address": None, "email": session["customer_email"] or customer["email"],
                    "name": customer["name"], "phone": phone, "tax_exempt": "none", "tax_ids": [],
                },
            )  # fmt: skip
            if new_customer:
                store.emit("customer.created", customer)
            if subscription is not None:
                store.emit("customer.subscription.created", subscription)
            store.emit("checkout.session.completed", session)
            if invoice is not None:
                store.emit("invoice.paid", invoice)
            return copy.deepcopy(subscription)

    def _subscription(
        self,
        customer: JSON,
        items: list[JSON],
        trial_days: int | None,
        meta: dict[str, str],
        now: int,
    ) -> JSON:
        recurring = next(li["price"]["recurring"] for li in items if li["price"]["recurring"])
        trial_end = now + trial_days * 86_400 if trial_days else None
        period_end = trial_end or add_interval(
            now, recurring["interval"], recurring["interval_count"]
        )
        sub_id = self.store.new_id("sub")
        sub_items = [
            {"id": self.store.new_id("si"), "object": "subscription_item", "created": now,
             "current_period_end": period_end, "current_period_start": now, "metadata": {},
             "price": li["price"], "quantity": li["quantity"], "subscription": sub_id}
            for li in items if li["price"]["recurring"]
        ]  # fmt: skip
        subscription: JSON = {
            "id": sub_id, "object": "subscription", "billing_cycle_anchor": period_end if trial_end
            else now, "cancel_at": None, "cancel_at_period_end": False, "canceled_at": None,
            "collection_method": "charge_automatically", "created": now,
            "currency": items[0]["currency"], "current_period_end": period_end,
            "current_period_start": now, "customer": customer["id"], "ended_at": None,
            "items": stripe_list(sub_items, f"/v1/subscription_items?subscription={sub_id}"),
            "latest_invoice": None, "livemode": False, "metadata": dict(meta), "start_date": now,
            "status": "trialing" if trial_end else "active", "trial_end": trial_end,
            "trial_start": now if trial_end else None,
        }  # fmt: skip
        self.store.objects[sub_id] = subscription
        return subscription

    def _invoice(self, customer: JSON, sub: JSON, items: list[JSON], now: int) -> JSON:
        invoice_id = self.store.new_id("in")
        lines = [
            {"id": self.store.new_id("il"), "object": "line_item", "amount": li["amount_total"],
             "currency": li["currency"], "description": f"{li['quantity']} x {li['description']}",
             "period": {"start": now, "end": sub["current_period_end"]},
             "pricing": {"price_details": {"price": li["price"]["id"],
                                           "product": li["price"]["product"]}},
             "quantity": li["quantity"]}
            for li in items
        ]  # fmt: skip
        total = sum(line["amount"] for line in lines)
        number = customer["next_invoice_sequence"]
        customer["next_invoice_sequence"] = number + 1
        invoice: JSON = {
            "id": invoice_id, "object": "invoice", "amount_due": total, "amount_paid": total,
            "amount_remaining": 0, "attempt_count": 1, "attempted": True,
            "billing_reason": "subscription_create", "collection_method": "charge_automatically",
            "created": now, "currency": sub["currency"], "customer": customer["id"],
            "customer_email": customer["email"], "hosted_invoice_url": None,
            "lines": stripe_list(lines, f"/v1/invoices/{invoice_id}/lines"), "livemode": False,
            "metadata": {}, "number": f"{customer['invoice_prefix']}-{number:04d}",
            "parent": {"type": "subscription_details", "subscription_details": {
                "metadata": sub["metadata"], "subscription": sub["id"]}},
            "period_end": now, "period_start": now, "status": "paid",
            "status_transitions": {"finalized_at": now, "paid_at": now},
            "subscription": sub["id"], "subtotal": total, "total": total,
        }  # fmt: skip
        self.store.objects[invoice_id] = invoice
        return invoice

    # -- prices and line items -----------------------------------------------------------------
    def _price(self, item: JSON, at: str, mode: str) -> JSON:
        price_id = text(item, "price", at=at)
        if price_id is not None:
            known = self.store.objects.get(price_id)
            if known is not None and known.get("object") == "price":
                return known
            if not price_id.startswith("price_"):
                raise missing("price", price_id, f"{at}[price]", 400)
            # The sandbox cannot know the merchant's catalog: an unseen price id joins it as
            # a 10.00 USD price, monthly in subscription mode.
            monthly = {"interval": "month"} if mode == "subscription" else None
            return self._new_price(price_id, "usd", 1000, monthly, {"name": price_id})
        data = item.get("price_data")
        if not isinstance(data, dict):
            raise invalid(f"You must specify either `price` or `price_data` in {at}.", at)
        at += "[price_data]"
        currency = str(text(data, "currency", required=True, at=at)).lower()
        amount = int(integer(data, "unit_amount", required=True, at=at) or 0)
        recurring: JSON | None = None
        if data.get("recurring") is not None:
            rec = data["recurring"] if isinstance(data["recurring"], dict) else {}
            interval = text(rec, "interval", required=True, at=f"{at}[recurring]")
            if interval not in ("day", "week", "month", "year"):
                raise invalid(f"Invalid interval: {interval}", f"{at}[recurring][interval]")
            count = integer(rec, "interval_count", lo=1, hi=365, at=f"{at}[recurring]") or 1
            recurring = {"interval": interval, "interval_count": count}
        product = data.get("product_data")
        if isinstance(product, dict):
            text(product, "name", required=True, at=f"{at}[product_data]")
        elif isinstance(data.get("product"), str):
            product = {"id": data["product"]}
        else:
            raise invalid(f"You must specify either `product` or `product_data` in {at}.", at)
        return self._new_price(self.store.new_id("price"), currency, amount, recurring, product)

    def _new_price(
        self, price_id: str, currency: str, amount: int, recurring: JSON | None, product: JSON
    ) -> JSON:
        product_id = product.get("id") or self.store.new_id("prod")
        if product_id not in self.store.objects:
            self.store.objects[product_id] = {
                "id": product_id, "object": "product", "active": True, "created": self.store.ts(),
                "livemode": False, "metadata": {}, "name": product.get("name") or product_id,
            }  # fmt: skip
        if recurring is not None:
            recurring = {"interval_count": 1, "usage_type": "licensed", **recurring}
        price: JSON = {
            "id": price_id, "object": "price", "active": True, "billing_scheme": "per_unit",
            "created": self.store.ts(), "currency": currency, "livemode": False, "metadata": {},
            "product": product_id, "recurring": recurring,
            "type": "recurring" if recurring else "one_time", "unit_amount": amount,
        }  # fmt: skip
        self.store.objects[price_id] = price
        return price

    def _line_item(self, item: Any, at: str, mode: str) -> JSON:
        if not isinstance(item, dict):
            raise invalid(f"Invalid object: {at}", at)
        price = self._price(item, at, mode)
        quantity = integer(item, "quantity", lo=1, hi=10**6, at=at)
        if quantity is None:
            message = f"Quantity is required. Add `quantity` to `{at}`."
            raise invalid(message, f"{at}[quantity]", "parameter_missing")
        if mode == "payment" and price["recurring"]:
            raise invalid("You specified `payment` mode but passed a recurring price.", at)
        total = price["unit_amount"] * quantity
        name = self.store.objects[price["product"]]["name"]
        return {
            "id": self.store.new_id("li"), "object": "item", "amount_discount": 0,
            "amount_subtotal": total, "amount_tax": 0, "amount_total": total,
            "currency": price["currency"], "description": name, "price": price,
            "quantity": quantity,
        }  # fmt: skip
