"""Twilio: SMS and voice. The gateway Steward calls (through the official SDK, any base address),
the webhooks' signature and parsers, the status ordering, the send ledger, and a sandbox peer
(``steward.providers.twilio.sandbox``, imported on its own: it is for development and tests)."""

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
from steward.providers.twilio.inbound import (
    CallStatusUpdate,
    InboundCall,
    InboundSms,
    Media,
    MessageStatusUpdate,
    OptOut,
    keyword,
    parse_call_status,
    parse_message_status,
    parse_sms,
    parse_status,
    parse_voice,
)
from steward.providers.twilio.ledger import MemoryLedger, SendLedger
from steward.providers.twilio.records import (
    AvailableNumber,
    Call,
    Capabilities,
    PhoneNumber,
    SmsMessage,
)
from steward.providers.twilio.signature import HEADER, decode_form, sign, verify
from steward.providers.twilio.status import CallStatus, MessageStatus, is_final, may_replace, rank

__all__ = [
    "HEADER",
    "INVALID_TO",
    "NOT_FOUND",
    "OPTED_OUT",
    "AvailableNumber",
    "Call",
    "CallStatus",
    "CallStatusUpdate",
    "Capabilities",
    "InboundCall",
    "InboundSms",
    "InvalidPhoneNumber",
    "MalformedTwilioRequest",
    "Media",
    "MemoryLedger",
    "MessageStatus",
    "MessageStatusUpdate",
    "OptOut",
    "PhoneNumber",
    "RecipientOptedOut",
    "SendInDoubt",
    "SendLedger",
    "SmsMessage",
    "TwilioError",
    "TwilioGateway",
    "TwilioRejected",
    "TwilioUnavailable",
    "decode_form",
    "is_final",
    "keyword",
    "may_replace",
    "parse_call_status",
    "parse_message_status",
    "parse_sms",
    "parse_status",
    "parse_voice",
    "rank",
    "sign",
    "verify",
]
