"""What can go wrong with Whop, one class per case, each under Steward's error families.

An API failure keeps Whop's status and message. A webhook failure is a 400 (nothing is stored).
A user-token failure is a 401: a request without a valid token is refused, never served as an
anonymous visitor."""

from __future__ import annotations

from typing import Any

from steward.errors import (
    InvalidSignature,
    MalformedEvent,
    MissingSignature,
    PermanentEventError,
    ProviderError,
    StaleSignature,
    Unauthorized,
)


class WhopError(ProviderError):
    """Whop refused or failed a call."""

    code = "whop_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        error_code: str | None = None,
        request: str = "",
        whop_message: str = "",
    ) -> None:
        self.status = status  # None: no answer (connection error, timeout)
        self.whop_message = whop_message  # Whop's own words, without our prefix
        self.error_type = error_type
        self.error_code = error_code
        self.request = request
        details: dict[str, Any] = {"status": status, "request": request}
        if error_type:
            details["type"] = error_type
        if error_code:
            details["error_code"] = error_code
        super().__init__(message, **details)

    @property
    def retryable(self) -> bool:
        """True when the same call (with the same idempotency key) may succeed later."""
        return self.status is None or self.status in (408, 409, 429) or self.status >= 500


# -- webhooks ----------------------------------------------------------------------------------
class WhopWebhookHeadersMissing(MissingSignature):
    """A webhook-id, webhook-timestamp or webhook-signature header is missing."""

    code = "whop_signature_missing"


class WhopWebhookForged(InvalidSignature):
    """The webhook signature matches the body under none of the configured secrets."""

    code = "whop_signature_invalid"


class WhopWebhookStale(StaleSignature):
    """The webhook-timestamp is outside the tolerance; the request may be a replay."""

    code = "whop_signature_timestamp_out_of_tolerance"


class WhopEventMalformed(MalformedEvent):
    """The body is signed but is not a Whop event of the expected shape."""

    code = "whop_event_malformed"


class WhopEventUnsupported(PermanentEventError):
    """A Whop event type that Steward does not parse."""

    code = "whop_event_unsupported"


# -- embedded-app user tokens ----------------------------------------------------------------
class WhopUserTokenError(Unauthorized):
    """The Whop user token is not valid."""

    code = "whop_user_token_invalid"


class UserTokenMissing(WhopUserTokenError):
    """No x-whop-user-token was sent."""

    code = "whop_user_token_missing"


class UserTokenMalformed(WhopUserTokenError):
    """The user token is not a well-formed JWT."""

    code = "whop_user_token_malformed"


class UserTokenAlgorithmRefused(WhopUserTokenError):
    """The user token is not signed with ES256 (alg none and HMAC are refused)."""

    code = "whop_user_token_algorithm_refused"


class UserTokenUnknownKey(WhopUserTokenError):
    """The user token names a signing key that is not configured."""

    code = "whop_user_token_unknown_key"


class UserTokenBadSignature(WhopUserTokenError):
    """The user token's signature does not verify under the configured key."""

    code = "whop_user_token_bad_signature"


class UserTokenExpired(WhopUserTokenError):
    """The user token has expired."""

    code = "whop_user_token_expired"


class UserTokenNotYetValid(WhopUserTokenError):
    """The user token is not valid yet (its iat or nbf is in the future)."""

    code = "whop_user_token_not_yet_valid"


class UserTokenWrongIssuer(WhopUserTokenError):
    """The user token was not issued by Whop."""

    code = "whop_user_token_wrong_issuer"


class UserTokenWrongAudience(WhopUserTokenError):
    """The user token was issued for another app."""

    code = "whop_user_token_wrong_audience"


class UserTokenClaimMissing(WhopUserTokenError):
    """The user token lacks a required claim (sub, aud, iss or exp)."""

    code = "whop_user_token_claim_missing"
