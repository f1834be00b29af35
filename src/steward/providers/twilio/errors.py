"""Twilio's failures in Steward's error family.

A refused request (4xx) will be refused again: do not retry it. A failed one (5xx, timeout, no
connection) may be retried, but for a send that is only safe under a ledger key (see
``steward.providers.twilio.ledger``). Twilio's own numeric error code is kept as ``twilio_code``
(``StewardError.code`` is Steward's stable string code)."""

from __future__ import annotations

from typing import Any

from steward.errors import BadWebhook, Conflict, ProviderError

OPTED_OUT = 21610  # the recipient texted STOP to this sender
INVALID_TO = 21211  # the 'To' number is not a valid phone number
NOT_FOUND = 20404  # no such resource (a sid that never existed or was released)


class TwilioError(ProviderError):
    """Twilio failed the request."""

    code = "twilio_error"

    def __init__(
        self,
        message: str | None = None,
        *,
        twilio_code: int | None = None,
        status: int | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, twilio_code=twilio_code, status=status, **details)
        self.twilio_code = twilio_code
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status >= 500 or self.status == 429


class TwilioUnavailable(TwilioError):
    """Twilio could not be reached or failed on its side; the request may be retried."""

    code = "twilio_unavailable"


class TwilioRejected(TwilioError):
    """Twilio refused the request as it is; sending it again will not help."""

    code = "twilio_rejected"


class RecipientOptedOut(TwilioRejected):
    """The recipient has opted out of messages from this sender (Twilio 21610)."""

    code = "twilio_recipient_opted_out"
    http_status = 409


class InvalidPhoneNumber(TwilioRejected):
    """Twilio does not accept the phone number (e.g. 21211 invalid 'To', 21421, 21212)."""

    code = "twilio_invalid_number"
    http_status = 422


class SendInDoubt(Conflict):
    """A send under this key began but its outcome was never recorded; reconcile, don't resend."""

    code = "twilio_send_in_doubt"


class MalformedTwilioRequest(BadWebhook):
    """The Twilio webhook form is missing a field or has a value Twilio never sends."""

    code = "twilio_form_malformed"
