"""Phone numbers in E.164, and masking for logs."""

from __future__ import annotations

import phonenumbers

from steward.errors import InvalidInput


def to_e164(raw: str, default_region: str = "GB") -> str:
    """Parse a phone number as a person typed it; raise InvalidInput naming the field."""
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            f"phone: cannot parse {mask_phone(raw)!r} ({exc})", field="phone"
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(f"phone: {mask_phone(raw)!r} is not a valid number", field="phone")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def mask_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]
    return "***" + "".join(digits[-3:]) if len(digits) > 3 else "***"


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
