"""The SDK's client, pointed at any Twilio-compatible base address, and its errors translated.

How the base address is changed: the SDK's documented extension point, a custom HTTP client
(``twilio.rest.Client(http_client=...)``, see Twilio's "Custom HTTP clients" guide). Ours is the
SDK's own ``TwilioHttpClient`` with one change: a URL the SDK built on ``https://api.twilio.com``
is sent to ``api_base`` instead, path and query unchanged. Everything else (auth, headers, form
encoding, paging through ``next_page_uri``) stays the SDK's. A request for any other Twilio host
is refused rather than sent to the real Twilio. (Assigning ``client.api.base_url`` would also
work, but it is an attribute of a generated class, not an interface the SDK promises.)"""

from __future__ import annotations

import json
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from steward.providers.twilio.errors import (
    INVALID_TO,
    OPTED_OUT,
    InvalidPhoneNumber,
    RecipientOptedOut,
    TwilioError,
    TwilioRejected,
    TwilioUnavailable,
)

API_HOST = "https://api.twilio.com"
# Blank edge and region so that TWILIO_EDGE / TWILIO_REGION in the process environment cannot
# move requests to another host behind our back (the SDK reads them when not given).
_NO_ENV = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}
_BAD_NUMBER = {INVALID_TO, 21212, 21214, 21401, 21421, 21614}


class RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no type hints
    def __init__(self, api_base: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/")

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Any:
        if not url.startswith(API_HOST + "/"):
            raise TwilioError(f"twilio: {url.split('?')[0]} is not served by {self.api_base}")
        rebased = self.api_base + url[len(API_HOST) :]
        return super().request(
            method, rebased, params, data, headers, auth, timeout, allow_redirects
        )


def build_client(account_sid: str, auth_token: str, api_base: str, timeout: float) -> Any:
    """A ``twilio.rest.Client``; ``api_base`` empty means the real ``https://api.twilio.com``."""
    base = api_base.rstrip("/")
    http = (
        TwilioHttpClient(timeout=timeout)
        if base in ("", API_HOST)
        else RebasedHttpClient(base, timeout)
    )
    return Client(account_sid, auth_token, http_client=http, environment=_NO_ENV)


def translate(exc: Exception, action: str) -> TwilioError:
    """Any failure out of the SDK as a TwilioError subclass, Twilio's code and status kept."""
    status: int | None
    code: int | None
    if isinstance(exc, TwilioError):
        return exc
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status, code = _int(exc.status), _int(exc.code)
        text = str(getattr(exc, "msg", None) or getattr(exc, "detail", None) or exc.title)
    elif isinstance(exc, TwilioException):  # a list page answered non-200
        response = exc.args[1] if len(exc.args) > 1 else None
        status = _int(getattr(response, "status_code", None))
        code, text = _error_body(getattr(response, "text", ""))
    else:  # requests' errors are OSErrors: no connection, timeout, reset
        status, code, text = None, None, f"{type(exc).__name__}: {exc}"
    message = f"twilio: cannot {action}: {text}" + (f" ({code})" if code else "")
    kind: type[TwilioError]
    if status is None or status >= 500 or status == 429:
        kind = TwilioUnavailable
    elif code == OPTED_OUT:
        kind = RecipientOptedOut
    elif code in _BAD_NUMBER:
        kind = InvalidPhoneNumber
    else:
        kind = TwilioRejected
    return kind(message, twilio_code=code, status=status)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _error_body(text: Any) -> tuple[int | None, str]:
    try:
        body = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None, "unexpected answer"
    return _int(body.get("code")), str(body.get("message") or "unexpected answer")
