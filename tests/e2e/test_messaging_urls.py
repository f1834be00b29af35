"""The URL a Twilio signature is checked against: the public URL when it is set; else the
request's own, believing X-Forwarded-* only from a trusted proxy (a forged header elsewhere
must not move the check to a URL the attacker chose)."""

from __future__ import annotations

from starlette.requests import Request

from steward.config import Settings
from steward.messaging.webhooks import called_url


def request(headers: dict[str, str], client: str = "10.0.0.5") -> Request:
    return Request(
        {
            "type": "http", "method": "POST", "scheme": "http", "path": "/webhooks/twilio/sms",
            "query_string": b"tenant=t1", "server": ("127.0.0.1", 8000), "client": (client, 5),
            "headers": [(k.lower().encode(), v.encode()) for k, v in
                        {"host": "127.0.0.1:8000", **headers}.items()],
        }
    )  # fmt: skip


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"}


def test_the_public_url_wins_when_set() -> None:
    settings = Settings(public_url="https://steward.example.com/", trusted_proxies="*")
    assert called_url(request(FORWARDED), settings) == (
        "https://steward.example.com/webhooks/twilio/sms?tenant=t1"
    )


def test_forwarded_headers_only_from_a_trusted_proxy() -> None:
    own = "http://127.0.0.1:8000/webhooks/twilio/sms?tenant=t1"
    assert called_url(request(FORWARDED), Settings()) == own
    assert called_url(request(FORWARDED), Settings(trusted_proxies="10.0.0.9")) == own
    trusted = Settings(trusted_proxies="10.0.0.9, 10.0.0.5")
    assert called_url(request(FORWARDED), trusted) == (
        "https://hooks.example.com/webhooks/twilio/sms?tenant=t1"
    )
