"""The Whop webhook events churn recovery reads, parsed once into frozen records.

Every v1 event is ``{"id": "msg_...", "api_version": "v1", "api_version_date", "type",
"timestamp", "company_id" | "account_id", "data": {...}}``; ``data`` is the object (membership
or payment) serialised to the webhook's dated API version. Two dated shapes are read: the one
``whop-sdk`` 2.6.0 models (``account``/``account_id``, ``user_id``, ``membership_id``, money as
``{"amount": "10.00", "currency", "decimals"}``) and the earlier one of Whop's webhook reference
(``company: {id}``, ``user: {id}``, ``membership: {id}``, ``total: 6.9``, ``currency``).

Delivery is at least once and unordered: dedupe on ``event_id`` (the ``webhook-id``) and compare
``updated_at`` (or re-fetch the membership) before acting on a state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from steward.providers.whop.errors import WhopEventMalformed, WhopEventUnsupported
from steward.providers.whop.records import minor_units, money, timestamp

MEMBERSHIP_EVENTS = frozenset(
    {
        "membership.activated",  # access granted (checkout, trial start, reactivation)
        "membership.deactivated",  # access lost (canceled, expired, payment finally failed)
        "membership.updated",
        "membership.cancel_at_period_end_changed",  # the member scheduled or undid a cancel
    }
)
PAYMENT_EVENTS = frozenset({"payment.succeeded", "payment.failed"})
EVENT_TYPES = MEMBERSHIP_EVENTS | PAYMENT_EVENTS


@dataclass(frozen=True)
class MembershipEvent:
    event_id: str
    type: str
    membership_id: str
    company_id: str | None
    user_id: str | None
    plan_id: str | None
    status: str
    cancel_at_period_end: bool
    amount: int | None  # the renewal price, minor units
    currency: str | None
    renewal_period_end: datetime | None
    occurred_at: datetime  # when Whop sent it (the envelope's timestamp)
    updated_at: datetime | None  # the membership's version: newer wins


@dataclass(frozen=True)
class PaymentEvent:
    event_id: str
    type: str
    payment_id: str
    membership_id: str | None  # None for a one-off purchase
    company_id: str | None
    user_id: str | None
    plan_id: str | None
    status: str  # open, paid, ...; substatus says failed/succeeded
    amount: int | None  # the total, minor units
    currency: str | None
    failure_message: str | None
    billing_reason: str | None  # subscription_cycle for a renewal
    occurred_at: datetime
    updated_at: datetime | None


WhopEvent = MembershipEvent | PaymentEvent


def parse_event(event: Mapping[str, Any]) -> WhopEvent:
    """A verified event body to its record. WhopEventUnsupported for a type not in EVENT_TYPES,
    WhopEventMalformed when a field Steward needs is missing or of the wrong type."""
    kind = event.get("type")
    if not isinstance(kind, str) or not isinstance(event.get("id"), str):
        raise WhopEventMalformed("whop event: no id or type")
    if kind not in EVENT_TYPES:
        raise WhopEventUnsupported(f"whop event type {kind} is not parsed", type=kind)
    data = event.get("data")
    if not isinstance(data, Mapping):
        raise WhopEventMalformed(f"whop event {event['id']}: data is not an object")
    try:
        if kind in MEMBERSHIP_EVENTS:
            return _membership_event(event, data)
        return _payment_event(event, data)
    except (KeyError, TypeError, ValueError) as exc:
        raise WhopEventMalformed(f"whop event {event['id']} ({kind}): {exc!r}") from exc


def _envelope(event: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    occurred = timestamp(event.get("timestamp"))
    if occurred is None:
        raise ValueError("no timestamp")
    company = (
        event.get("company_id")
        or event.get("account_id")
        or data.get("account_id")
        or _id(data, "account")
        or _id(data, "company")
    )
    return {
        "event_id": event["id"],
        "type": event["type"],
        "company_id": _text(company),
        "user_id": _text(data.get("user_id") or _id(data, "user")),
        "plan_id": _text(data.get("plan_id") or _id(data, "plan")),
        "occurred_at": occurred,
        "updated_at": timestamp(data.get("updated_at")),
    }


def _membership_event(event: Mapping[str, Any], data: Mapping[str, Any]) -> MembershipEvent:
    amount, currency = money(data.get("renewal_price"))
    if amount is None and data.get("renewal_price") is not None:  # legacy: a bare number
        currency = _text(data.get("currency"))
        amount = minor_units(data["renewal_price"], currency)
    return MembershipEvent(
        membership_id=_required(data, "id"),
        status=_required(data, "status"),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        amount=amount,
        currency=currency,
        renewal_period_end=timestamp(
            data.get("current_period_end") or data.get("renewal_period_end")
        ),
        **_envelope(event, data),
    )


def _payment_event(event: Mapping[str, Any], data: Mapping[str, Any]) -> PaymentEvent:
    total = data.get("total")
    if isinstance(total, Mapping):
        amount, currency = money(total)
    else:  # legacy: a bare number beside a currency
        currency = _text(data.get("currency"))
        currency = currency.lower() if currency else None
        amount = minor_units(total, currency)
    return PaymentEvent(
        payment_id=_required(data, "id"),
        membership_id=_text(data.get("membership_id") or _id(data, "membership")),
        status=_required(data, "status"),
        amount=amount,
        currency=currency,
        failure_message=_text(data.get("failure_message")),
        billing_reason=_text(data.get("billing_reason")),
        **_envelope(event, data),
    )


def _id(data: Mapping[str, Any], name: str) -> Any:
    nested = data.get(name)
    return nested.get("id") if isinstance(nested, Mapping) else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _required(data: Mapping[str, Any], name: str) -> str:
    value = _text(data.get(name))
    if not value:
        raise KeyError(name)
    return value
