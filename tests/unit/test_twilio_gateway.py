"""The gateway's edges without a server: where requests go, how errors are named, the ledger."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.response import Response

from steward.errors import InvalidInput, ProviderError
from steward.providers.twilio import (
    InvalidPhoneNumber,
    MemoryLedger,
    RecipientOptedOut,
    SendInDoubt,
    TwilioError,
    TwilioGateway,
    TwilioRejected,
    TwilioUnavailable,
)
from steward.providers.twilio._http import API_HOST, RebasedHttpClient, build_client, translate


def test_requests_are_rebased_path_and_query_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    client = RebasedHttpClient("http://127.0.0.1:9/sandbox/twilio/", timeout=5)
    sent: list[str] = []

    def fake(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        sent.append(url)
        return Response(200, "{}")

    monkeypatch.setattr("twilio.http.http_client.TwilioHttpClient.request", fake)
    client.request("GET", f"{API_HOST}/2010-04-01/Accounts/AC1/Messages.json?Page=1")
    assert sent == [
        "http://127.0.0.1:9/sandbox/twilio/2010-04-01/Accounts/AC1/Messages.json?Page=1"
    ]
    with pytest.raises(TwilioError):
        client.request("GET", "https://messaging.twilio.com/v1/Services")
    assert sent == sent[:1]  # nothing went to the real Twilio


def test_the_environment_cannot_move_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    client = build_client("AC" + "0" * 32, "token", "http://127.0.0.1:9", 5)
    assert client.get_hostname(f"{API_HOST}/x") == f"{API_HOST}/x"
    assert isinstance(client.http_client, RebasedHttpClient)
    real = build_client("AC" + "0" * 32, "token", "", 5)
    assert not isinstance(real.http_client, RebasedHttpClient)


def rest(status: int, code: int | None) -> TwilioRestException:
    return TwilioRestException(status, "/x", "Unable to create record: no", code, "POST")


@pytest.mark.parametrize(
    ("exc", "kind", "code", "status"),
    [
        (rest(400, 21610), RecipientOptedOut, 21610, 400),
        (rest(400, 21211), InvalidPhoneNumber, 21211, 400),
        (rest(404, 20404), TwilioRejected, 20404, 404),
        (rest(401, 20003), TwilioRejected, 20003, 401),
        (rest(429, 20429), TwilioUnavailable, 20429, 429),
        (rest(503, 20503), TwilioUnavailable, 20503, 503),
        (
            TwilioException("Unable to fetch page", Response(500, json.dumps({"code": 20500}))),
            TwilioUnavailable, 20500, 500,
        ),
        (TwilioException("fetch", Response(400, "<html>")), TwilioRejected, None, 400),
        (ConnectionError("refused"), TwilioUnavailable, None, None),
    ],
)  # fmt: skip
def test_failures_are_named(
    exc: Exception, kind: type[TwilioError], code: Any, status: Any
) -> None:
    error = translate(exc, "do it")
    assert type(error) is kind and isinstance(error, ProviderError)
    assert (error.twilio_code, error.status) == (code, status)
    assert error.retryable == (kind is TwilioUnavailable)
    assert error.to_dict()["details"] == {"twilio_code": code, "status": status}
    assert error.message.startswith("twilio: cannot do it")


def test_a_send_needs_a_sender_and_a_key_needs_a_ledger() -> None:
    gateway = TwilioGateway("AC" + "0" * 32, "token", "http://127.0.0.1:9")
    with pytest.raises(InvalidInput):
        gateway.send_sms(to="+14155550199", body="x")
    with pytest.raises(InvalidInput):
        gateway.send_sms(to="+14155550199", body="x", from_number="+14155550100", key="k")
    gateway.close()


def test_the_memory_ledger() -> None:
    ledger = MemoryLedger()
    assert ledger.claim("welcome:1") is None
    with pytest.raises(SendInDoubt) as doubt:
        ledger.claim("welcome:1")  # claimed, never recorded
    assert doubt.value.http_status == 409 and doubt.value.details == {"key": "welcome:1"}
    ledger.record("welcome:1", "SM1")
    assert ledger.claim("welcome:1") == "SM1" and ledger.sid("welcome:1") == "SM1"
    ledger.release("welcome:1")
    assert ledger.claim("welcome:1") is None
