"""Pure rules of the inbox: the transition table, signature checks, backoff, settings."""

from __future__ import annotations

import json
import time

import pytest

from steward.config import Mode, Settings
from steward.errors import (
    ConfigError,
    InvalidSignature,
    MalformedEvent,
    MissingSignature,
    StaleSignature,
)
from steward.inbox.models import OPEN, REPLAYABLE, TRANSITIONS, EventStatus, sources_of
from steward.inbox.service import RetryPolicy, parse_event
from steward.inbox.verify import verify_stripe
from tests.support import sign


def test_processed_is_final_and_every_state_is_reachable() -> None:
    assert TRANSITIONS[EventStatus.PROCESSED] == frozenset()
    reachable = set().union(*TRANSITIONS.values()) | {EventStatus.PENDING}
    assert reachable == set(EventStatus)
    for status in REPLAYABLE:
        assert sources_of(EventStatus.PENDING).count(status) == 1
    assert set(OPEN) == set(sources_of(EventStatus.PROCESSED))


def test_signature_over_rotated_secrets() -> None:
    body = b'{"id": "evt_1", "type": "x"}'
    header = sign(body.decode(), "whsec_old")
    verify_stripe(body, header, ["whsec_new", "whsec_old"], 300)
    with pytest.raises(InvalidSignature):
        verify_stripe(body, header, ["whsec_new"], 300)
    with pytest.raises(MissingSignature):
        verify_stripe(body, None, ["whsec_new"], 300)
    with pytest.raises(StaleSignature):
        verify_stripe(
            body, sign(body.decode(), "whsec_new", int(time.time()) - 301), ["whsec_new"], 300
        )
    verify_stripe(
        body, sign(body.decode(), "whsec_new", int(time.time()) - 299), ["whsec_new"], 300
    )


@pytest.mark.parametrize(
    "forge",
    [
        lambda sig, old, now: f"v1={sig}, t={now},t={old}",
        lambda sig, old, now: f"t={now},v1={sig},t={old}",
        lambda sig, old, now: f"t= {old},v1={sig}",
        lambda sig, old, now: f"t=+{old},v1={sig}",
        lambda sig, old, now: f"t={old}.0,v1={sig}",
        lambda sig, old, now: f"v1={sig}",
        lambda sig, old, now: f"t={old},v1={sig[:-8]}",
    ],
)
def test_an_old_signature_cannot_be_replayed_with_a_fresh_timestamp(forge: object) -> None:
    """The replay window is checked on the timestamp that was signed, never on another one."""
    body = b'{"id": "evt_old", "type": "x"}'
    old, now = int(time.time()) - 3600, int(time.time())
    sig = sign(body.decode(), "whsec_new", old).split("v1=")[1].split(",")[0]
    header = forge(sig, old, now)  # type: ignore[operator]
    with pytest.raises((InvalidSignature, StaleSignature)):
        verify_stripe(body, header, ["whsec_new"], 300)


def test_a_body_that_is_not_utf8_is_malformed_not_a_crash() -> None:
    body = b'{"id": "evt_1", "type": "x"}\xff'
    with pytest.raises(MalformedEvent):
        verify_stripe(body, sign("x", "whsec_new"), ["whsec_new"], 300)


@pytest.mark.parametrize(
    "body",
    [
        b"nope",
        b"[]",
        b'{"type": "x"}',
        b'{"id": "", "type": "x"}',
        b'{"id": "e"}',
        b'{"id": "e", "type": "x", "created": 99999999999999999999}',
        b'{"id": "e", "type": "x", "created": -1}',
        b'{"id": "e", "type": "x", "created": "1700000000"}',
        b'{"id": "e", "type": "x", "data": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    ],
)
def test_parse_event_refuses_what_is_not_an_event(body: bytes) -> None:
    with pytest.raises(MalformedEvent):
        parse_event(body)
    assert parse_event(json.dumps({"id": "e", "type": "t"}).encode())["id"] == "e"


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=2, max_seconds=10)
    delays = [policy.delay(n).total_seconds() for n in range(1, 6)]
    assert 1.6 <= delays[0] <= 2.4 and 3.2 <= delays[1] <= 4.8
    assert all(d <= 12 for d in delays)


REAL = {
    "admin_token": "a-real-admin-token-of-at-least-32-chars",
    "stripe_webhook_secrets": "whsec_real_secret_9",
    "stripe_api_key": "sk_live_realkey_123",
    "vapi_webhook_secret": "a-real-vapi-secret-1234",
    "panel_webhook_secret": "a-real-panel-secret-1234",
    "tenant_token_keys": "k1:a-real-tenant-token-key-of-32-chars!!",
    "twilio_account_sid": "AC" + "0123456789abcdef" * 2,
    "twilio_auth_token": "a-real-twilio-auth-token-of-32ch",
    "whop_webhook_secret": "whsec_a_real_whop_secret",
    "whop_api_key": "apik_a_real_whop_key_123",
}
CHECKED_IN_ORDER = [
    "STEWARD_ADMIN_TOKEN",
    "STEWARD_STRIPE_WEBHOOK_SECRETS",
    "STEWARD_STRIPE_API_KEY",
    "STEWARD_VAPI_WEBHOOK_SECRET",
    "STEWARD_PANEL_WEBHOOK_SECRET",
    "STEWARD_TENANT_TOKEN_KEYS",
    "STEWARD_TWILIO_ACCOUNT_SID",
    "STEWARD_TWILIO_AUTH_TOKEN",
    "STEWARD_WHOP_WEBHOOK_SECRET",
    "STEWARD_WHOP_API_KEY",
    "STEWARD_SANDBOX",
]


@pytest.mark.parametrize("known", range(len(CHECKED_IN_ORDER)))
def test_production_refuses_missing_or_placeholder_secrets(known: int) -> None:
    """With the first `known` secrets real, start-up names the next variable."""
    overrides = dict(list(REAL.items())[:known])
    settings = Settings(mode=Mode.PRODUCTION, **overrides)
    with pytest.raises(ConfigError, match=CHECKED_IN_ORDER[known]):
        settings.check_production()


def test_production_refuses_a_short_admin_token() -> None:
    settings = Settings(mode=Mode.PRODUCTION, sandbox=False, **(REAL | {"admin_token": "x9" * 8}))
    with pytest.raises(ConfigError, match="at least 32 characters"):
        settings.check_production()


def test_production_starts_with_real_secrets() -> None:
    Settings(mode=Mode.PRODUCTION, sandbox=False, **REAL).check_production()
