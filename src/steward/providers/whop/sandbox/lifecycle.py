"""What Whop does to a membership: cancel (now or at period end), extend, renew or fail to, and
the events each change raises. Every function runs under ``store.lock``.

A failed renewal leaves one open payment that later attempts retry: each failure raises
``payment.failed`` and puts the membership ``past_due`` (the grace period, access kept); the
last one (``final``) cancels it, as Whop does by default once every retry has failed
(``subscription_failure_behavior: cancel``), and raises ``membership.deactivated``. A success
pays the open payment (or a new one), renews the period and raises ``payment.succeeded``."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from steward.providers.whop.sandbox.state import (
    DAY,
    JSON,
    Store,
    bad_request,
    conflict,
    iso,
)

_ENDED = ("canceled", "expired", "completed")
_ACCESS = ("active", "trialing", "past_due", "completed")


def create(store: Store, spec: JSON) -> JSON:
    """A member checks out: company, user and plan as given (or new), the first payment."""
    company = store.company(_object(spec, "company"))
    user = store.user(_object(spec, "user"))
    plan = store.plan(_object(spec, "plan"), company)
    status = spec.get("status", "active")
    if status not in ("active", "trialing", "past_due"):
        raise bad_request(f"status {status!r}: the sandbox creates active, trialing or past_due")
    membership = store.new_membership(user, company, plan, status)
    if status == "active":
        payment = store.new_payment(membership, True, "subscription_create", None)
        store.emit("payment.succeeded", payment, company["id"])
    store.emit("membership.activated", membership, company["id"])
    return copy.deepcopy(membership)


def cancel(store: Store, membership_id: str, params: JSON) -> JSON:
    membership = store.membership(membership_id)
    at_period_end = _flag(params, "cancel_at_period_end")
    reason = _text(params, "reason")
    if membership["status"] in _ENDED:
        raise conflict(f"Membership {membership_id} is already {membership['status']}")
    now, account = store.now(), membership["account"]["id"]
    if at_period_end:
        if membership["cancel_at_period_end"]:
            return copy.deepcopy(membership)
        membership.update(
            cancel_at_period_end=True, canceled_at=iso(now), cancellation_reason=reason,
            most_recent_action="canceling_on",
            most_recent_action_at=membership["current_period_end"], updated_at=iso(now),
        )  # fmt: skip
        previous = {"cancel_at_period_end": False}
        store.emit("membership.cancel_at_period_end_changed", membership, account, previous)
        return copy.deepcopy(membership)
    had_access = membership["status"] in _ACCESS
    membership.update(
        status="canceled", cancel_at_period_end=False, canceled_at=iso(now),
        cancellation_reason=reason, most_recent_action="canceled_on",
        most_recent_action_at=iso(now), updated_at=iso(now),
    )  # fmt: skip
    if had_access:
        store.emit("membership.deactivated", membership, account)
    return copy.deepcopy(membership)


def extend(store: Store, membership_id: str, params: JSON) -> JSON:
    days = params.get("days")
    if type(days) is not int or not 1 <= days <= 1095:
        raise bad_request("days must be an integer from 1 to 1095")
    membership = store.membership(membership_id)
    if membership["status"] in ("canceled", "expired"):
        raise conflict(
            f"Membership {membership_id} is {membership['status']}; it cannot be extended"
        )
    end = _seconds(membership["current_period_end"]) + days * DAY
    now = store.now()
    membership.update(current_period_end=iso(end), updated_at=iso(now))
    if membership["most_recent_action"] in ("renewing_on", "canceling_on"):
        membership["most_recent_action_at"] = iso(end)
    store.emit("membership.updated", membership, membership["account"]["id"])
    return copy.deepcopy(membership)


def renew(store: Store, membership_id: str, succeeded: bool, *, final: bool, message: str) -> JSON:
    """One renewal attempt: the payment it made (or retried) and the membership after it."""
    membership = store.membership(membership_id)
    if membership["status"] in _ENDED:
        raise conflict(f"Membership {membership_id} is {membership['status']}: nothing to renew")
    if final and succeeded:
        raise bad_request("final applies to a failed renewal")
    account, now = membership["account"]["id"], store.now()
    payment = retried = _open_payment(store, membership_id)
    if payment is None:
        payment = store.new_payment(membership, succeeded, "subscription_cycle", None)
    if succeeded:
        payment.update(
            status="paid", substatus="succeeded", paid_at=iso(now), refundable=True,
            retryable=False, next_payment_attempt_at=None, decline_code=None,
            failure_message=None, last_payment_attempt_at=iso(now), updated_at=iso(now),
        )  # fmt: skip
        start = max(_seconds(membership["current_period_end"]), now)
        end = start + int(membership["billing_period_days"] or 30) * DAY
        membership.update(
            status="active", current_period_start=iso(start), current_period_end=iso(end),
            most_recent_action="renewing_on", most_recent_action_at=iso(end),
            updated_at=iso(now),
        )  # fmt: skip
        store.emit("payment.succeeded", payment, account)
        store.emit("membership.updated", membership, account)
        return {"payment": copy.deepcopy(payment), "membership": copy.deepcopy(membership)}
    if retried is not None:
        payment["payments_failed"] += 1
    payment.update(
        failure_message=message, decline_code="insufficient_funds",
        last_payment_attempt_at=iso(now),
        next_payment_attempt_at=None if final else iso(now + 3 * DAY), retryable=not final,
        status="uncollectible" if final else "open", updated_at=iso(now),
    )  # fmt: skip
    store.emit("payment.failed", payment, account)
    if final:
        membership.update(
            status="canceled", canceled_at=iso(now), most_recent_action="canceled_on",
            most_recent_action_at=iso(now), updated_at=iso(now),
        )  # fmt: skip
        store.emit("membership.deactivated", membership, account)
    elif membership["status"] != "past_due":
        membership.update(
            status="past_due", most_recent_action="next_payment_attempt",
            most_recent_action_at=payment["next_payment_attempt_at"], updated_at=iso(now),
        )  # fmt: skip
        store.emit("membership.updated", membership, account)
    return {"payment": copy.deepcopy(payment), "membership": copy.deepcopy(membership)}


def _open_payment(store: Store, membership_id: str) -> JSON | None:
    for payment in reversed(list(store.payments.values())):
        if payment["membership_id"] == membership_id and payment["status"] == "open":
            return payment
    return None


def _seconds(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def _object(spec: JSON, name: str) -> JSON:
    value = spec.get(name) or {}
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be an object")
    return value


def _flag(params: JSON, name: str) -> bool:
    value: Any = params.get(name)
    if value is not None and not isinstance(value, bool):
        raise bad_request(f"{name} must be a boolean")
    return bool(value)


def _text(params: JSON, name: str) -> str | None:
    value: Any = params.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value
