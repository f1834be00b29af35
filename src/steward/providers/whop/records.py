"""What Steward keeps of Whop's objects: frozen records, parsed once from Whop's JSON.

Money is an integer in minor units. Whop states it as ``{"amount": "10.00", "currency": "usd",
"decimals": 2}`` (an exact decimal string and the precision the charge runs at) in the dated
API this package speaks; payloads of older dated versions carry a bare number, converted with
the currency's ISO 4217 exponent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# ISO 4217 currencies without minor units, among those Whop lists.
_ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd",
     "vuv", "xaf", "xof", "xpf"}
)  # fmt: skip


@dataclass(frozen=True)
class Membership:
    id: str
    status: str  # trialing, active, past_due, completed, canceled, expired, unresolved, ...
    user_id: str | None
    company_id: str
    company_title: str
    plan_id: str
    product_id: str
    cancel_at_period_end: bool
    renewal_period_start: datetime | None
    renewal_period_end: datetime | None  # Whop's current_period_end
    canceled_at: datetime | None
    manage_url: str | None
    renewal_amount: int | None  # minor units; None for a non-renewing membership
    currency: str | None
    updated_at: datetime | None

    @property
    def ended(self) -> bool:
        """Canceled or expired: no access. (Access while ``past_due``, the grace period after a
        failed payment, follows the company's past-due access setting.)"""
        return self.status in ("canceled", "expired")


@dataclass(frozen=True)
class PushNotification:
    """Whop queues a notification and answers only that it did (processed asynchronously)."""

    queued: bool
    user_ids: tuple[str, ...]
    title: str


@dataclass(frozen=True)
class DirectMessage:
    id: str
    channel_id: str
    user_id: str
    content: str
    created_at: datetime | None


def minor_units(amount: Any, currency: str | None, decimals: int | None = None) -> int | None:
    """``"10.00"`` (or a legacy ``6.9``) to an integer in minor units; None when absent."""
    if amount is None or currency is None:
        return None
    exponent = decimals if decimals is not None else (0 if currency in _ZERO_DECIMAL else 2)
    try:
        value = Decimal(str(amount)).scaleb(exponent)
    except InvalidOperation:
        raise ValueError(f"not an amount: {amount!r}") from None
    if value != value.to_integral_value():
        raise ValueError(f"{amount!r} {currency} has more than {exponent} decimals")
    return int(value)


def money(value: Any) -> tuple[int | None, str | None]:
    """A Whop Money object (or None) to (minor units, currency)."""
    if not isinstance(value, Mapping):
        return None, None
    currency = value.get("currency")
    currency = currency.lower() if isinstance(currency, str) else None
    decimals = value.get("decimals")
    exponent = decimals if type(decimals) is int else None
    return minor_units(value.get("amount"), currency, exponent), currency


def timestamp(value: Any) -> datetime | None:
    """Whop's ISO 8601 strings (``2023-12-01T05:00:00.401Z``); legacy payloads use unix seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    raise ValueError(f"not a timestamp: {value!r}")
