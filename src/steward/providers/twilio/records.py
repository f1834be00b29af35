"""What Twilio answers, in Steward's words: frozen records, never SDK objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from steward.providers.twilio.status import CallStatus, MessageStatus


@dataclass(frozen=True)
class Capabilities:
    sms: bool
    mms: bool
    voice: bool


@dataclass(frozen=True)
class SmsMessage:
    sid: str  # SM… (MM… for media)
    account_sid: str
    to_number: str
    from_number: str | None  # None until a Messaging Service picks a sender
    body: str
    status: MessageStatus
    direction: str  # inbound, outbound-api, outbound-call, outbound-reply
    messaging_service_sid: str | None
    num_segments: int
    num_media: int
    error_code: int | None  # e.g. 30003 unreachable handset, on undelivered/failed
    error_message: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class Call:
    sid: str  # CA…
    account_sid: str
    to_number: str
    from_number: str
    status: CallStatus
    direction: str  # inbound, outbound-api, outbound-dial
    duration_seconds: int | None  # set once the call has ended
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class PhoneNumber:
    """A number the account owns (an IncomingPhoneNumber)."""

    sid: str  # PN…
    phone_number: str  # E.164
    friendly_name: str
    sms_url: str
    voice_url: str
    status_callback: str
    capabilities: Capabilities
    created_at: datetime


@dataclass(frozen=True)
class AvailableNumber:
    """A number Twilio offers for purchase."""

    phone_number: str  # E.164
    friendly_name: str
    iso_country: str
    region: str | None
    locality: str | None
    capabilities: Capabilities
