"""SDK instances to records. The ``twilio`` package has no type hints, so every value is checked
here, once; a shape Twilio does not send raises TwilioError rather than leak an ``Any``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from steward.providers.twilio.errors import TwilioError
from steward.providers.twilio.records import (
    AvailableNumber,
    Call,
    Capabilities,
    PhoneNumber,
    SmsMessage,
)
from steward.providers.twilio.status import CallStatus, MessageStatus


def _str(obj: Any, name: str) -> str:
    value = getattr(obj, name, None)
    if not isinstance(value, str):
        raise TwilioError(f"twilio: answer without a text {name!r}")
    return value


def _opt_str(obj: Any, name: str) -> str | None:
    value = getattr(obj, name, None)
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _time(obj: Any, name: str) -> datetime | None:
    value = getattr(obj, name, None)
    return value if isinstance(value, datetime) else None


def _created(obj: Any) -> datetime:
    value = _time(obj, "date_created")
    if value is None:
        raise TwilioError("twilio: answer without a date_created")
    return value


def _capabilities(raw: Any) -> Capabilities:
    flags = {str(k).lower(): bool(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    return Capabilities(
        sms=flags.get("sms", False), mms=flags.get("mms", False), voice=flags.get("voice", False)
    )


def message(obj: Any) -> SmsMessage:
    try:
        status = MessageStatus(_str(obj, "status"))
    except ValueError as exc:
        raise TwilioError(f"twilio: unknown message status {obj.status!r}") from exc
    return SmsMessage(
        sid=_str(obj, "sid"),
        account_sid=_str(obj, "account_sid"),
        to_number=_str(obj, "to"),
        from_number=_opt_str(obj, "from_"),
        body=_opt_str(obj, "body") or "",
        status=status,
        direction=_str(obj, "direction"),
        messaging_service_sid=_opt_str(obj, "messaging_service_sid"),
        num_segments=_int(getattr(obj, "num_segments", None)) or 0,
        num_media=_int(getattr(obj, "num_media", None)) or 0,
        error_code=_int(getattr(obj, "error_code", None)),
        error_message=_opt_str(obj, "error_message"),
        created_at=_created(obj),
        sent_at=_time(obj, "date_sent"),
    )


def call(obj: Any) -> Call:
    try:
        status = CallStatus(_str(obj, "status"))
    except ValueError as exc:
        raise TwilioError(f"twilio: unknown call status {obj.status!r}") from exc
    return Call(
        sid=_str(obj, "sid"),
        account_sid=_str(obj, "account_sid"),
        to_number=_str(obj, "to"),
        from_number=_str(obj, "_from"),  # the SDK's CallInstance names it so
        status=status,
        direction=_str(obj, "direction"),
        duration_seconds=_int(getattr(obj, "duration", None)),
        created_at=_created(obj),
        started_at=_time(obj, "start_time"),
        ended_at=_time(obj, "end_time"),
    )


def phone_number(obj: Any) -> PhoneNumber:
    return PhoneNumber(
        sid=_str(obj, "sid"),
        phone_number=_str(obj, "phone_number"),
        friendly_name=_opt_str(obj, "friendly_name") or "",
        sms_url=_opt_str(obj, "sms_url") or "",
        voice_url=_opt_str(obj, "voice_url") or "",
        status_callback=_opt_str(obj, "status_callback") or "",
        capabilities=_capabilities(getattr(obj, "capabilities", None)),
        created_at=_created(obj),
    )


def available_number(obj: Any) -> AvailableNumber:
    return AvailableNumber(
        phone_number=_str(obj, "phone_number"),
        friendly_name=_opt_str(obj, "friendly_name") or "",
        iso_country=_str(obj, "iso_country"),
        region=_opt_str(obj, "region"),
        locality=_opt_str(obj, "locality"),
        capabilities=_capabilities(getattr(obj, "capabilities", None)),
    )
