"""The wallet domain's errors, with stable codes."""

from __future__ import annotations

from steward.errors import Conflict, StewardError
from steward.kit.money import format_minor


class DebitRefused(StewardError):
    """The debit would take the balance below minus the debt limit; nothing changed."""

    code = "debit_refused"
    http_status = 402

    def __init__(self, *, balance: int, amount: int, debt_limit: int, currency: str, **kw: object):
        shortfall = amount - (balance + debt_limit)
        super().__init__(
            f"debit of {format_minor(amount, currency)} refused: balance "
            f"{format_minor(balance, currency)}, debt limit {format_minor(debt_limit, currency)}, "
            f"shortfall {format_minor(shortfall, currency)}",
            balance=balance,
            amount=amount,
            debt_limit=debt_limit,
            shortfall=shortfall,
            currency=currency,
            **kw,
        )


class KeyReused(Conflict):
    """The idempotency key was used before for a different amount or kind."""

    code = "idempotency_key_reused"


class UnknownMeter(StewardError):
    """The product declares no meter of this name."""

    code = "unknown_meter"
    http_status = 422


class InvalidApiKey(StewardError):
    """The API key is missing, unknown or revoked."""

    code = "invalid_api_key"
    http_status = 401
