"""The messaging domain's refusals, each with its stable code."""

from __future__ import annotations

from steward.errors import BadWebhook, Conflict, StewardError


class RecipientOptedOut(Conflict):
    """The recipient texted STOP: nothing is sent to them until they text START."""

    code = "recipient_opted_out"


class MessagingNotConfigured(StewardError):
    """No sending number: set STEWARD_TWILIO_FROM_NUMBER (E.164) or pass from_number."""

    code = "messaging_not_configured"
    http_status = 503


class UnknownMessage(StewardError):
    """A status callback for a message Steward has not recorded the sid of (yet): retried."""

    code = "message_unknown"
    http_status = 404


class TwilioSignatureInvalid(BadWebhook):
    """The X-Twilio-Signature header is missing or does not match the URL and form."""

    code = "twilio_signature_invalid"
    http_status = 403
