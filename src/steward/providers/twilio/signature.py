"""``X-Twilio-Signature``: base64 HMAC-SHA1, keyed with the account's Auth Token, of the full URL
Twilio requested followed by each POST parameter's name and value, sorted by name.

The URL must be the public one Twilio was given (scheme, host, port as configured, path and query
string), not the one a proxy forwarded to the app: rebuild it from Steward's public URL. The SDK's
``RequestValidator`` does the computing; ``verify`` only guards what it is given."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from steward.providers.twilio.errors import MalformedTwilioRequest

HEADER = "X-Twilio-Signature"


def verify(auth_token: str, url: str, form: Mapping[str, str], signature: str | None) -> bool:
    """True when ``signature`` is Twilio's for ``url`` and ``form`` under ``auth_token``."""
    if not auth_token or not signature or not url:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(form), signature))


def sign(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    """The signature Twilio would send; for the sandbox and for tests."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(form)))


def decode_form(body: bytes) -> dict[str, str]:
    """A webhook's ``application/x-www-form-urlencoded`` body. Twilio never repeats a field in
    these webhooks, so a repeated one is refused rather than silently dropped from the check."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedTwilioRequest("twilio: the webhook body is not a UTF-8 form") from exc
    form = dict(pairs)
    if len(form) != len(pairs):
        raise MalformedTwilioRequest("twilio: the webhook form repeats a field")
    return form
