"""Twilio: SMS and voice. The gateway Steward calls (through the official SDK, any base address),
the status ordering and the send ledger."""

from steward.providers.twilio.errors import (
    INVALID_TO,
    NOT_FOUND,
    OPTED_OUT,
    InvalidPhoneNumber,
    MalformedTwilioRequest,
    RecipientOptedOut,
    SendInDoubt,
    TwilioError,
    TwilioRejected,
    TwilioUnavailable,
)
from steward.providers.twilio.gateway import TwilioGateway
from steward.providers.twilio.ledger import MemoryLedger, SendLedger
from steward.providers.twilio.records import (
    AvailableNumber,
    Call,
    Capabilities,
    PhoneNumber,
    SmsMessage,
)
from steward.providers.twilio.status import CallStatus, MessageStatus, is_final, may_replace, rank

__all__ = [
    "INVALID_TO",
    "NOT_FOUND",
    "OPTED_OUT",
    "AvailableNumber",
    "Call",
    "CallStatus",
    "Capabilities",
    "InvalidPhoneNumber",
    "MalformedTwilioRequest",
    "MemoryLedger",
    "MessageStatus",
    "PhoneNumber",
    "RecipientOptedOut",
    "SendInDoubt",
    "SendLedger",
    "SmsMessage",
    "TwilioError",
    "TwilioGateway",
    "TwilioRejected",
    "TwilioUnavailable",
    "is_final",
    "may_replace",
    "rank",
]
