"""Money is integer minor units everywhere; this formats it and checks currencies."""

from __future__ import annotations

from steward.errors import InvalidInput

_ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof"}
_SYMBOLS = {"gbp": "£", "usd": "$", "eur": "€"}


def currency(code: str) -> str:
    """A lower-case ISO 4217 code, or InvalidInput."""
    value = code.strip().lower()
    if len(value) != 3 or not value.isalpha():
        raise InvalidInput(f"currency: {code!r} is not a 3-letter ISO code", field="currency")
    return value


def format_minor(amount: int, code: str) -> str:
    """``format_minor(-1234, "gbp") == "-£12.34"``."""
    code = code.lower()
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(code, code.upper() + " ")
    if code in _ZERO_DECIMAL:
        return f"{sign}{symbol}{abs(amount)}"
    return f"{sign}{symbol}{abs(amount) // 100}.{abs(amount) % 100:02d}"
