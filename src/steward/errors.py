"""One error base with stable codes. An expected conflict is a 4xx, never a 500."""

from __future__ import annotations

from typing import Any, ClassVar


class StewardError(Exception):
    """Something went wrong in Steward."""

    code: ClassVar[str] = "steward_error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or (self.__doc__ or self.code).strip()
        self.details = details
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ConfigError(StewardError):
    """The configuration is missing or invalid."""

    code = "config_error"


class NotFound(StewardError):
    """The resource does not exist."""

    code = "not_found"
    http_status = 404


class Conflict(StewardError):
    """The request conflicts with the current state."""

    code = "conflict"
    http_status = 409


class InvalidInput(StewardError):
    """The input is invalid."""

    code = "invalid_input"
    http_status = 422


class Unauthorized(StewardError):
    """Missing or invalid credentials."""

    code = "unauthorized"
    http_status = 401


class BadWebhook(StewardError):
    """The webhook request was refused; nothing was stored."""

    code = "bad_webhook"
    http_status = 400


class MissingSignature(BadWebhook):
    """The Stripe-Signature header is missing."""

    code = "signature_missing"


class InvalidSignature(BadWebhook):
    """The Stripe-Signature header does not match the body under any configured secret."""

    code = "signature_invalid"


class StaleSignature(BadWebhook):
    """The signature's timestamp is outside the tolerance; the request may be a replay."""

    code = "signature_timestamp_out_of_tolerance"


class MalformedEvent(BadWebhook):
    """The body is signed but is not a JSON event with an id and a type."""

    code = "event_malformed"


class IllegalTransition(StewardError):
    """A state change that the transition table does not allow."""

    code = "illegal_transition"
    http_status = 409


class PermanentEventError(StewardError):
    """An event that cannot be applied as it is; retrying will not help."""

    code = "event_unprocessable"
    http_status = 422


class ProviderError(StewardError):
    """An outside provider failed; the call may be retried."""

    code = "provider_error"
    http_status = 502
