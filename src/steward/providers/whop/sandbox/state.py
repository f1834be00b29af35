"""The sandbox's account: companies, users, plans, memberships, payments, the events they raise
and what was sent to members, in memory under one re-entrant lock.

Objects are rendered in the dated shape ``whop-sdk`` 2.6.0 parses (``Api-Version-Date``
2026-10-15-1): ISO 8601 timestamps, money as ``{"amount": "10.00", "currency", "decimals"}``."""

from __future__ import annotations

import copy
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

JSON = dict[str, Any]
API_VERSION_DATE = "2026-10-15-1"  # whop-sdk 2.6.0's default Api-Version-Date
DAY = 86_400
_ALNUM = string.ascii_letters + string.digits


class SandboxError(Exception):
    """A Whop API error, rendered ``{"error": {"type", "message"[, "code"]}}`` with ``status``."""

    def __init__(self, status: int, message: str, type: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type, code

    def body(self) -> JSON:
        error: JSON = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        return {"error": error}


def bad_request(message: str, code: str = "invalid_request") -> SandboxError:
    return SandboxError(400, message, "bad_request", code)


def not_found(kind: str, object_id: str) -> SandboxError:
    return SandboxError(404, f"{kind} {object_id} was not found", "not_found")


def conflict(message: str) -> SandboxError:
    return SandboxError(409, message, "conflict")


def iso(seconds: float) -> str:
    """Whop's timestamps: ``2023-12-01T05:00:00.401Z``."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def money(minor: int, currency: str) -> JSON:
    amount = Decimal(minor).scaleb(-2).quantize(Decimal("0.01"))
    return {"amount": str(amount), "currency": currency, "decimals": 2, "display_decimals": 2}


@dataclass(frozen=True)
class Sent:
    """One push notification or direct message that the sandbox accepted."""

    kind: str  # "push" or "dm"
    user_ids: tuple[str, ...]
    content: str
    title: str | None = None
    experience_id: str | None = None
    account_id: str | None = None
    channel_id: str | None = None
    idempotency_key: str | None = None
    at: float = 0.0


@dataclass
class Idempotent:
    fingerprint: tuple[str, ...]
    status: int = 0  # 0 while the first request runs
    body: bytes = b""


@dataclass
class Store:
    now: Callable[[], float]
    lock: threading.RLock = field(default_factory=threading.RLock)
    companies: dict[str, JSON] = field(default_factory=dict)
    users: dict[str, JSON] = field(default_factory=dict)
    plans: dict[str, JSON] = field(default_factory=dict)
    memberships: dict[str, JSON] = field(default_factory=dict)
    payments: dict[str, JSON] = field(default_factory=dict)
    channels: dict[frozenset[str], JSON] = field(default_factory=dict)
    events: list[JSON] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    idempotency: dict[tuple[str, str], Idempotent] = field(default_factory=dict)
    on_event: Callable[[JSON], None] | None = None

    def new_id(self, prefix: str, length: int = 14) -> str:
        return f"{prefix}_" + "".join(secrets.choice(_ALNUM) for _ in range(length))

    def emit(
        self, type: str, obj: JSON, account_id: str | None, previous: JSON | None = None
    ) -> JSON:
        """Record an event with a snapshot of ``obj`` and hand it to delivery."""
        event: JSON = {
            "id": self.new_id("msg", 24),
            "api_version": "v1",
            "api_version_date": API_VERSION_DATE,
            "account_id": account_id,
            "timestamp": iso(self.now()),
            "type": type,
            "data": copy.deepcopy(obj),
        }
        if previous is not None:
            event["previous_attributes"] = previous
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    # -- the catalogue -----------------------------------------------------------------------
    def company(self, spec: JSON) -> JSON:
        company_id = spec.get("id") or self.new_id("biz")
        if company_id not in self.companies:
            title = spec.get("title") or "Sandbox Company"
            route = spec.get("route") or title.lower().replace(" ", "-")
            self.companies[company_id] = {
                "id": company_id, "title": title, "route": route, "logo_url": None,
            }  # fmt: skip
        return self.companies[company_id]

    def user(self, spec: JSON) -> JSON:
        user_id = spec.get("id") or self.new_id("user")
        if user_id not in self.users:
            username = spec.get("username") or user_id.removeprefix("user_").lower()
            self.users[user_id] = {
                "id": user_id, "username": username, "name": spec.get("name"),
                "profile_picture": {"url": f"https://sandbox.invalid/avatars/{user_id}.png"},
            }  # fmt: skip
        return self.users[user_id]

    def plan(self, spec: JSON, company: JSON) -> JSON:
        plan_id = spec.get("id") or self.new_id("plan")
        if plan_id not in self.plans:
            self.plans[plan_id] = {
                "id": plan_id, "account_id": company["id"], "product_id": self.new_id("prod"),
                "product_title": spec.get("product_title") or "Sandbox Membership",
                "price": int(spec.get("price", 1000)),
                "currency": str(spec.get("currency", "usd")).lower(),
                "billing_period_days": int(spec.get("billing_period_days", 30)),
            }  # fmt: skip
        return self.plans[plan_id]

    def membership(self, membership_id: str) -> JSON:
        found = self.memberships.get(membership_id)
        if found is None:
            raise not_found("Membership", membership_id)
        return found

    # -- rendering ---------------------------------------------------------------------------
    def new_membership(self, user: JSON, company: JSON, plan: JSON, status: str) -> JSON:
        now, membership_id = self.now(), self.new_id("mem")
        end = now + plan["billing_period_days"] * DAY
        price = money(plan["price"], plan["currency"])
        membership: JSON = {
            "id": membership_id, "status": status, "account": copy.deepcopy(company),
            "affiliate": None, "billing_period_days": plan["billing_period_days"],
            "cancel_at_period_end": False, "cancel_option": None, "canceled_at": None,
            "cancellation_reason": None, "collection_method": "charge_automatically",
            "created_at": iso(now), "current_period_end": iso(end),
            "current_period_start": iso(now), "expires_at": None, "feedback_option": None,
            "initial_price": price, "license_key": None,
            "manage_url": f"https://whop.com/billing/manage/{membership_id}", "member": None,
            "member_id": self.new_id("mber"), "metadata": {},
            "most_recent_action": "renewing_on", "most_recent_action_at": iso(end),
            "phone_number": None, "plan_id": plan["id"],
            "product": {"id": plan["product_id"], "title": plan["product_title"],
                        "logo_url": None},
            "product_id": plan["product_id"], "promo_code_id": None,
            "renewal_price": copy.deepcopy(price), "split_pay_current_payments": None,
            "split_pay_required_payments": None, "updated_at": iso(now), "user_id": user["id"],
        }  # fmt: skip
        self.memberships[membership_id] = membership
        return membership

    def new_payment(self, membership: JSON, paid: bool, reason: str, failure: str | None) -> JSON:
        now, plan = self.now(), self.plans[membership["plan_id"]]
        total = money(plan["price"], plan["currency"])
        user = self.users[membership["user_id"]]
        payment: JSON = {
            "id": self.new_id("pay"), "account_id": membership["account"]["id"],
            "amount_after_fees": copy.deepcopy(total), "auto_refunded": False,
            "billing_address": None, "billing_reason": reason,
            "checkout_configuration_id": None, "client_secret": None, "created_at": iso(now),
            "currency": plan["currency"], "customer_email": None, "customer_phone": None,
            "decline_code": None if paid else "insufficient_funds", "dispute_alerted_at": None,
            "failure_message": failure, "financing_installments_count": None, "holds": [],
            "ip_address": None, "last_payment_attempt_at": iso(now), "line_items": [],
            "member_id": membership["member_id"], "membership_id": membership["id"],
            "metadata": {}, "needs_tracking": None,
            "next_payment_attempt_at": None if paid else iso(now + 3 * DAY),
            "paid_at": iso(now) if paid else None, "payment_instrument": None,
            "payment_method_id": None, "payment_method_type": "card",
            "payment_rule_matches": [], "payments_failed": 0 if paid else 1,
            "plan_id": plan["id"], "presentment_total": None, "product_id": plan["product_id"],
            "promo_code_id": None, "quote_id": None, "recovery_url": None, "refundable": paid,
            "refunded_amount": None, "refunded_at": None, "retryable": not paid,
            "risk_score": None, "risk_signals": None, "settlement_time_at": None,
            "shipment_id": None, "shipping_address": None,
            "status": "paid" if paid else "open", "substatus": "succeeded" if paid else "failed",
            "subtotal": copy.deepcopy(total), "tax_amount": None, "tax_behavior": None,
            "tax_refunded_amount": money(0, plan["currency"]), "three_ds_verified": False,
            "total": total, "updated_at": iso(now), "usd_total": None,
            "user": {"id": user["id"], "name": user["name"], "username": user["username"],
                     "profile_picture": user["profile_picture"]},
            "verification_checks": None, "voidable": False,
        }  # fmt: skip
        self.payments[payment["id"]] = payment
        return payment
