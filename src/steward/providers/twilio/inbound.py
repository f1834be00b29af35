"""Twilio's webhooks, parsed once into records: an inbound SMS, an inbound call, and the status
callbacks of messages and calls. A form Twilio would never send raises MalformedTwilioRequest
(a 400), never a KeyError or ValueError. Check the signature (``signature.verify``) first."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from steward.providers.twilio.errors import MalformedTwilioRequest
from steward.providers.twilio.status import CallStatus, MessageStatus

_SID = {
    "account": re.compile(r"AC[0-9a-f]{32}"),
    "message": re.compile(r"(SM|MM)[0-9a-f]{32}"),
    "call": re.compile(r"CA[0-9a-f]{32}"),
    "service": re.compile(r"MG[0-9a-f]{32}"),
}
MAX_MEDIA = 10
E = TypeVar("E", MessageStatus, CallStatus)


class OptOut(StrEnum):
    STOP = "stop"  # the sender may no longer text this handset (Twilio answers 21610)
    START = "start"  # the handset opted back in
    HELP = "help"  # the handset asked for help; Twilio auto-replies


# Twilio's default opt-out handling: the whole body, trimmed, in any case.
_KEYWORDS = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"),
        OptOut.STOP,
    ),
    **dict.fromkeys(("START", "YES", "UNSTOP"), OptOut.START),
    **dict.fromkeys(("HELP", "INFO"), OptOut.HELP),
}


def keyword(body: str) -> OptOut | None:
    return _KEYWORDS.get(" ".join(body.split()).upper())


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    account_sid: str
    from_number: str  # the handset
    to_number: str  # our number
    body: str
    num_segments: int
    media: tuple[Media, ...]
    messaging_service_sid: str | None
    opt_out: OptOut | None  # Twilio's OptOutType when sent, else read from the body


@dataclass(frozen=True)
class InboundCall:
    call_sid: str
    account_sid: str
    from_number: str  # the caller: a number, or client:… / sip:…
    to_number: str
    status: CallStatus
    direction: str
    caller_name: str | None
    forwarded_from: str | None


@dataclass(frozen=True)
class MessageStatusUpdate:
    message_sid: str
    account_sid: str
    status: MessageStatus
    to_number: str
    from_number: str | None
    error_code: int | None


@dataclass(frozen=True)
class CallStatusUpdate:
    call_sid: str
    account_sid: str
    status: CallStatus
    to_number: str
    from_number: str
    direction: str
    duration_seconds: int | None  # CallDuration, on the final callback
    sequence: int | None  # SequenceNumber: the order Twilio emitted progress events in


def parse_sms(form: Mapping[str, str]) -> InboundSms:
    count = _int(form, "NumMedia", default=0)
    if count is None or not 0 <= count <= MAX_MEDIA:
        raise MalformedTwilioRequest(f"twilio: NumMedia must be 0 to {MAX_MEDIA}")
    media = tuple(
        Media(_text(form, f"MediaUrl{i}"), _text(form, f"MediaContentType{i}"))
        for i in range(count)
    )
    body = form.get("Body", "")
    opt_type = form.get("OptOutType", "").strip().lower()
    if opt_type and opt_type not in {o.value for o in OptOut}:
        raise MalformedTwilioRequest(f"twilio: unknown OptOutType {opt_type!r}")
    return InboundSms(
        message_sid=_sid(form, "MessageSid", "message"),
        account_sid=_sid(form, "AccountSid", "account"),
        from_number=_text(form, "From"),
        to_number=_text(form, "To"),
        body=body,
        num_segments=_int(form, "NumSegments", default=1) or 1,
        media=media,
        messaging_service_sid=_opt_sid(form, "MessagingServiceSid", "service"),
        opt_out=OptOut(opt_type) if opt_type else keyword(body),
    )


def parse_voice(form: Mapping[str, str]) -> InboundCall:
    return InboundCall(
        call_sid=_sid(form, "CallSid", "call"),
        account_sid=_sid(form, "AccountSid", "account"),
        from_number=_text(form, "From"),
        to_number=_text(form, "To"),
        status=_enum(form, "CallStatus", CallStatus),
        direction=_text(form, "Direction"),
        caller_name=form.get("CallerName") or None,
        forwarded_from=form.get("ForwardedFrom") or None,
    )


def parse_message_status(form: Mapping[str, str]) -> MessageStatusUpdate:
    name = "MessageStatus" if "MessageStatus" in form else "SmsStatus"
    sid_name = "MessageSid" if "MessageSid" in form else "SmsSid"
    return MessageStatusUpdate(
        message_sid=_sid(form, sid_name, "message"),
        account_sid=_sid(form, "AccountSid", "account"),
        status=_enum(form, name, MessageStatus),
        to_number=_text(form, "To"),
        from_number=form.get("From") or None,
        error_code=_int(form, "ErrorCode", default=None),
    )


def parse_call_status(form: Mapping[str, str]) -> CallStatusUpdate:
    return CallStatusUpdate(
        call_sid=_sid(form, "CallSid", "call"),
        account_sid=_sid(form, "AccountSid", "account"),
        status=_enum(form, "CallStatus", CallStatus),
        to_number=_text(form, "To"),
        from_number=_text(form, "From"),
        direction=form.get("Direction", ""),
        duration_seconds=_int(form, "CallDuration", default=None),
        sequence=_int(form, "SequenceNumber", default=None),
    )


def parse_status(form: Mapping[str, str]) -> MessageStatusUpdate | CallStatusUpdate:
    """A status callback of either kind, told apart as Twilio's own fields tell them."""
    if "MessageStatus" in form or "SmsStatus" in form:
        return parse_message_status(form)
    if "CallStatus" in form:
        return parse_call_status(form)
    raise MalformedTwilioRequest("twilio: a status callback needs MessageStatus or CallStatus")


# -- fields ------------------------------------------------------------------------------------
def _text(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise MalformedTwilioRequest(f"twilio: the form has no {name}", field=name)
    return value


def _sid(form: Mapping[str, str], name: str, kind: str) -> str:
    value = _text(form, name)
    if not _SID[kind].fullmatch(value):
        raise MalformedTwilioRequest(f"twilio: {name} is not a {kind} sid", field=name)
    return value


def _opt_sid(form: Mapping[str, str], name: str, kind: str) -> str | None:
    return _sid(form, name, kind) if form.get(name, "").strip() else None


def _int(form: Mapping[str, str], name: str, *, default: int | None) -> int | None:
    raw = form.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise MalformedTwilioRequest(f"twilio: {name} is not a whole number", field=name)
    return int(raw)


def _enum(form: Mapping[str, str], name: str, kind: type[E]) -> E:
    raw = _text(form, name).lower()
    try:
        return kind(raw)
    except ValueError as exc:
        raise MalformedTwilioRequest(f"twilio: unknown {name} {raw!r}", field=name) from exc
