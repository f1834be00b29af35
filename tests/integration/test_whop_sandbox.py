"""The Whop sandbox as a protocol peer: the official ``whop-sdk`` (through WhopGateway) calls it
over HTTP, its webhooks reach a real local receiver that verifies them with ``verify``, and the
user tokens it mints are checked by UserTokenVerifier. No database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from whop_sdk.memberships.types.post_membership_updated_payload import (
    PostMembershipUpdatedPayload,
)
from whop_sdk.payments.types.post_payment_failed_payload import PostPaymentFailedPayload
from whop_sdk.types.membership import Membership as SdkMembership

from steward.providers.whop import (
    MembershipEvent,
    PaymentEvent,
    UserTokenAlgorithmRefused,
    UserTokenBadSignature,
    UserTokenExpired,
    UserTokenMalformed,
    UserTokenMissing,
    UserTokenUnknownKey,
    UserTokenVerifier,
    UserTokenWrongAudience,
    UserTokenWrongIssuer,
    WhopError,
    WhopEventUnsupported,
    WhopGateway,
    WhopUserTokenError,
    WhopWebhookForged,
    WhopWebhookHeadersMissing,
    WhopWebhookStale,
    fetch_jwks,
    jwks_from_public_key,
    parse_event,
    sign,
    verify,
)
from steward.providers.whop.sandbox import WhopSandbox

SECRET = "whsec_whop_sandbox_current"
OLD_SECRET = "whsec_whop_sandbox_previous"
KEY = "apik_sandbox_integration"
APP = "app_churnsaver0001"
MOUNT = "/sandbox/whop"
ADA = "user_ada0000000001"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whop"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """``app`` under a real uvicorn server on a free 127.0.0.1 port, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, ws="none", lifespan="off",
        timeout_graceful_shutdown=1,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


class Receiver:
    """A webhook endpoint that checks each delivery the way Steward must: signature first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.secrets = [SECRET, OLD_SECRET]
        self.attempts: list[str] = []  # webhook-id of every verified request, in arrival order
        self.events: list[dict[str, Any]] = []  # the verified bodies answered 200
        self.rejected: list[str] = []
        self.fail_next = 0
        self.url = ""
        self.app = FastAPI()
        self.app.add_api_route("/webhooks/whop", self.handle, methods=["POST"])

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        try:
            event = verify(self.secrets, request.headers, body)
        except WhopWebhookForged as exc:
            with self.lock:
                self.rejected.append(exc.code)
            return Response(status_code=400)
        with self.lock:
            self.attempts.append(request.headers["webhook-id"])
            if self.fail_next > 0:
                self.fail_next -= 1
                return Response(status_code=500)
            self.events.append(event)
        return Response(status_code=200)

    def types(self) -> list[str]:
        with self.lock:
            return [e["type"] for e in self.events]

    def of(self, type: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.events if e["type"] == type]


@dataclass
class Peer:
    sandbox: WhopSandbox
    base: str  # the host serving the mount
    api: str  # the SDK's API base
    gateway: WhopGateway
    receiver: Receiver
    http: httpx.Client

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(f"{self.base}{MOUNT}/_sandbox/{path}", json=body or {})
        assert response.status_code == 200, response.text
        return response.json()

    def settle(self) -> None:
        assert self.sandbox.wait_idle(10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    with serve(hook.app) as base:
        hook.url = f"{base}/webhooks/whop"
        yield hook


@pytest.fixture
def peer(receiver: Receiver) -> Iterator[Peer]:
    sandbox = WhopSandbox(receiver.url, SECRET, [KEY], backoff=(0.05, 0.05, 0.05))
    host = FastAPI()  # mounted as Steward mounts it
    host.mount(MOUNT, sandbox.app)
    sandbox.start()
    try:
        with serve(host) as base, httpx.Client(timeout=10) as http:
            api = f"{base}{MOUNT}/api/v1"
            with WhopGateway(KEY, api, max_retries=0) as gateway:
                yield Peer(sandbox, base, api, gateway, receiver, http)
    finally:
        sandbox.stop()


def member(peer: Peer, **spec: Any) -> dict[str, Any]:
    spec.setdefault("user", {"id": ADA, "username": "ada"})
    spec.setdefault("company", {"id": "biz_pickaxe000001", "title": "Pickaxe"})
    spec.setdefault("plan", {"price": 1500, "currency": "usd", "billing_period_days": 30})
    created: dict[str, Any] = peer.control("memberships", spec)
    return created


# -- the API through the SDK ---------------------------------------------------------------------
def test_retrieve_a_membership(peer: Peer) -> None:
    created = member(peer)
    SdkMembership.model_validate(created)  # the sandbox answers what the SDK models
    found = peer.gateway.retrieve_membership(created["id"])
    assert (found.id, found.status, found.user_id) == (created["id"], "active", ADA)
    assert (found.company_id, found.company_title) == ("biz_pickaxe000001", "Pickaxe")
    assert found.plan_id == created["plan_id"] and not found.ended
    assert (found.renewal_amount, found.currency) == (1500, "usd")
    assert found.manage_url and found.manage_url.endswith(created["id"])
    assert found.renewal_period_end is not None and found.renewal_period_start is not None
    assert (found.renewal_period_end - found.renewal_period_start).days == 30


def test_unknown_membership_and_bad_key_are_whop_errors(peer: Peer) -> None:
    with pytest.raises(WhopError) as missing:
        peer.gateway.retrieve_membership("mem_doesnotexist00")
    assert missing.value.status == 404 and missing.value.error_type == "not_found"
    assert missing.value.whop_message == "Membership mem_doesnotexist00 was not found"
    created = member(peer)
    intruder = WhopGateway("apik_wrong", peer.api, max_retries=0)
    with intruder, pytest.raises(WhopError) as refused:
        intruder.retrieve_membership(created["id"])
    assert refused.value.status == 401 and refused.value.http_status == 502
    bare = peer.http.get(f"{peer.api}/memberships/{created['id']}")
    assert bare.status_code == 401 and bare.json()["error"]["type"] == "unauthorized"


def test_cancel_at_period_end_then_terminate(peer: Peer) -> None:
    created = member(peer)
    later = peer.gateway.cancel_at_period_end(created["id"], idempotency_key="c-1", reason="price")
    assert later.cancel_at_period_end and later.status == "active" and not later.ended
    assert later.canceled_at is not None
    gone = peer.gateway.terminate(created["id"], idempotency_key="t-1")
    assert gone.status == "canceled" and gone.ended
    with pytest.raises(WhopError) as again:
        peer.gateway.terminate(created["id"], idempotency_key="t-2")
    assert again.value.status == 409
    peer.settle()
    assert peer.receiver.types()[-2:] == [
        "membership.cancel_at_period_end_changed",
        "membership.deactivated",
    ]
    changed = peer.receiver.of("membership.cancel_at_period_end_changed")[0]
    assert changed["previous_attributes"] == {"cancel_at_period_end": False}


def test_add_free_days_once_per_key(peer: Peer) -> None:
    created = member(peer)
    before = peer.gateway.retrieve_membership(created["id"]).renewal_period_end
    assert before is not None
    first = peer.gateway.add_free_days(created["id"], 7, idempotency_key="gift-1")
    replay = peer.gateway.add_free_days(created["id"], 7, idempotency_key="gift-1")
    assert first == replay and first.renewal_period_end is not None
    assert (first.renewal_period_end - before).days == 7
    extended = [e for e in peer.sandbox.events if e["type"] == "membership.updated"]
    assert len(extended) == 1
    raw = peer.http.post(
        f"{peer.api}/memberships/{created['id']}/extend",
        json={"days": 7},
        headers={"Authorization": f"Bearer {KEY}", "Idempotency-Key": "gift-2"},
    )
    assert raw.status_code == 200 and "Idempotent-Replayed" not in raw.headers
    with pytest.raises(WhopError) as reused:
        peer.gateway.add_free_days(created["id"], 3, idempotency_key="gift-1")
    assert reused.value.status == 400 and reused.value.error_code == "idempotency_key_mismatch"
    with pytest.raises(ValueError):
        peer.gateway.add_free_days(created["id"], 0, idempotency_key="gift-3")


def test_replays_carry_whops_header(peer: Peer) -> None:
    created = member(peer)
    url, headers = f"{peer.api}/memberships/{created['id']}/extend", {
        "Authorization": f"Bearer {KEY}", "Idempotency-Key": "raw-1",
    }  # fmt: skip
    one = peer.http.post(url, json={"days": 2}, headers=headers)
    two = peer.http.post(url, json={"days": 2}, headers=headers)
    assert two.headers["Idempotent-Replayed"] == "true" and two.content == one.content
    bad = peer.http.post(url, json={"days": 0}, headers={**headers, "Idempotency-Key": "raw-2"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
    again = peer.http.post(url, json={"days": 0}, headers={**headers, "Idempotency-Key": "raw-2"})
    assert again.status_code == 400 and again.headers["Idempotent-Replayed"] == "true"


def test_push_and_dm_are_recorded(peer: Peer) -> None:
    created = member(peer)
    push = peer.gateway.send_push(
        user_id=ADA, title="Your payment failed",
        content="Update your card to keep access.", experience_id="exp_churnsaver001",
        rest_path="/billing", idempotency_key="push-1",
    )  # fmt: skip
    assert push.queued and push.user_ids == (ADA,)
    dm = peer.gateway.send_direct_message(
        user_id=ADA, content="Here is a week on us.",
        company_id=created["account"]["id"], idempotency_key="dm-1",
    )  # fmt: skip
    again = peer.gateway.send_direct_message(
        user_id=ADA, content="Here is a week on us.",
        company_id=created["account"]["id"], idempotency_key="dm-1",
    )  # fmt: skip
    assert again == dm and dm.channel_id.startswith("feed_")
    sent = peer.http.get(f"{peer.base}{MOUNT}/_sandbox/sent").json()["data"]
    assert [(s["kind"], s["user_ids"]) for s in sent] == [
        ("push", [ADA]),
        ("dm", [ADA]),
    ]
    assert sent[0]["experience_id"] == "exp_churnsaver001" and sent[0]["title"]
    assert sent[1]["content"] == "Here is a week on us." and sent[1]["channel_id"] == dm.channel_id
    with pytest.raises(ValueError):
        peer.gateway.send_push(user_id="u", title="t", content="c", idempotency_key="p-2")
    both = peer.http.post(
        f"{peer.api}/notifications",
        json={"title": "t", "content": "c", "experience_id": "exp_1", "account_id": "biz_1"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert both.status_code == 400


# -- webhooks ------------------------------------------------------------------------------------
def test_a_failed_renewal_posts_a_webhook_the_receiver_verifies(peer: Peer) -> None:
    created = member(peer)
    peer.control(f"memberships/{created['id']}/renewal", {"outcome": "failed"})
    peer.settle()
    assert peer.receiver.types() == [
        "payment.succeeded", "membership.activated", "payment.failed", "membership.updated",
    ]  # fmt: skip
    failed = peer.receiver.of("payment.failed")[0]
    PostPaymentFailedPayload.model_validate(failed)  # what the SDK models for this event
    PostMembershipUpdatedPayload.model_validate(peer.receiver.of("membership.updated")[0])
    event = parse_event(failed)
    assert isinstance(event, PaymentEvent)
    assert (event.membership_id, event.company_id, event.user_id) == (
        created["id"], "biz_pickaxe000001", ADA,
    )  # fmt: skip
    assert (event.amount, event.currency, event.status) == (1500, "usd", "open")
    assert event.billing_reason == "subscription_cycle" and event.failure_message
    assert event.event_id == failed["id"] == peer.receiver.attempts[2]
    assert peer.gateway.retrieve_membership(created["id"]).status == "past_due"


def test_retries_then_recovery_then_final_failure(peer: Peer) -> None:
    created = member(peer)
    peer.sandbox.renew(created["id"], False)
    peer.sandbox.renew(created["id"], True)
    peer.sandbox.renew(created["id"], False)
    peer.sandbox.renew(created["id"], False, final=True)
    peer.settle()
    assert peer.receiver.types()[2:] == [
        "payment.failed", "membership.updated", "payment.succeeded", "membership.updated",
        "payment.failed", "membership.updated", "payment.failed", "membership.deactivated",
    ]  # fmt: skip
    last = parse_event(peer.receiver.of("membership.deactivated")[0])
    assert isinstance(last, MembershipEvent) and last.status == "canceled"
    retried = [parse_event(e) for e in peer.receiver.of("payment.failed")[1:]]
    assert len({e.payment_id for e in retried if isinstance(e, PaymentEvent)}) == 1


def test_receiver_failure_is_retried_with_the_same_webhook_id(peer: Peer) -> None:
    peer.receiver.fail_next = 1
    member(peer)
    peer.settle()
    first = peer.receiver.attempts[0]
    assert peer.receiver.attempts.count(first) == 2  # the others were not held back meanwhile
    outcomes = [(r.event_id, r.outcome) for r in peer.sandbox.deliveries if r.event_id == first]
    assert outcomes == [(first, "retrying"), (first, "delivered")]


def test_forged_stale_and_missing_signatures_are_refused() -> None:
    body = json.dumps({"id": "msg_1", "type": "payment.failed", "data": {}})
    good = sign(SECRET, "msg_1", body)
    assert verify([SECRET], good, body)["id"] == "msg_1"
    with pytest.raises(WhopWebhookForged):
        verify([SECRET], sign("whsec_attacker", "msg_1", body), body)
    with pytest.raises(WhopWebhookForged):
        verify([SECRET], good, body.replace("failed", "succeeded"))
    with pytest.raises(WhopWebhookStale):
        verify([SECRET], sign(SECRET, "msg_1", body, at=int(time.time()) - 600), body)
    with pytest.raises(WhopWebhookStale):
        verify([SECRET], sign(SECRET, "msg_1", body, at=int(time.time()) + 600), body)
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        partial = {k: v for k, v in good.items() if k != name}
        with pytest.raises(WhopWebhookHeadersMissing):
            verify([SECRET], partial, body)
    mangled = {**good, "webhook-signature": "v1,not base64 at all"}
    with pytest.raises(WhopWebhookForged):
        verify([SECRET], mangled, body)
    assert WhopWebhookForged("x").http_status == 400


def test_a_forged_delivery_is_refused_and_given_up(peer: Peer) -> None:
    peer.control("webhook", {"secret": "whsec_not_ours"})
    member(peer)
    peer.settle()
    assert peer.receiver.events == [] and peer.receiver.rejected
    assert {r.outcome for r in peer.sandbox.deliveries} == {"retrying", "gave_up"}


def test_rotated_secrets(peer: Peer) -> None:
    peer.sandbox.configure_webhook(secret=OLD_SECRET)  # still signing with the previous one
    member(peer)
    peer.settle()
    peer.sandbox.configure_webhook(secret=SECRET)  # rotated
    member(peer)
    peer.settle()
    assert len(peer.receiver.events) == 4 and peer.receiver.rejected == []
    peer.receiver.secrets = [SECRET]  # the old secret retired
    peer.sandbox.configure_webhook(secret=OLD_SECRET)
    member(peer)
    peer.settle()
    assert len(peer.receiver.events) == 4 and peer.receiver.rejected


def test_duplicate_deliveries_share_an_event_id(peer: Peer) -> None:
    peer.control("faults", {"duplicate": 2})
    created = member(peer)
    peer.settle()
    activated = [parse_event(e) for e in peer.receiver.of("membership.activated")]
    assert len(activated) == 3 and len({e.event_id for e in activated}) == 1
    assert all(e.membership_id == created["id"] for e in activated)


def test_reordered_deliveries_keep_their_versions(peer: Peer) -> None:
    created = member(peer)
    peer.settle()
    peer.control("faults", {"reorder": True})
    peer.sandbox.renew(created["id"], False)
    peer.sandbox.renew(created["id"], True)
    assert peer.control("flush")["released"] == 4
    peer.settle()
    updates = [parse_event(e) for e in peer.receiver.of("membership.updated")]
    assert [u.status for u in updates if isinstance(u, MembershipEvent)] == ["active", "past_due"]
    newest = max(updates, key=lambda u: u.updated_at or u.occurred_at)
    assert isinstance(newest, MembershipEvent) and newest.status == "active"


def test_dropped_events_never_arrive(peer: Peer) -> None:
    peer.control("faults", {"drop_types": ["payment.succeeded"]})
    member(peer)
    peer.settle()
    assert peer.receiver.types() == ["membership.activated"]
    assert [r.outcome for r in peer.sandbox.deliveries].count("dropped") == 1


# -- faults on the API -----------------------------------------------------------------------
def test_fail_next_makes_the_sdk_raise(peer: Peer) -> None:
    created = member(peer)
    peer.control("faults", {"fail_next": 1, "fail_status": 503})
    with pytest.raises(WhopError) as failed:
        peer.gateway.retrieve_membership(created["id"])
    assert failed.value.status == 503 and failed.value.retryable
    assert peer.gateway.retrieve_membership(created["id"]).id == created["id"]


def test_sdk_retries_a_keyed_write_without_doing_it_twice(peer: Peer) -> None:
    created = member(peer)
    before = peer.gateway.retrieve_membership(created["id"]).renewal_period_end
    assert before is not None
    peer.control("faults", {"fail_next": 1})
    with WhopGateway(KEY, peer.api, max_retries=2) as patient:
        after = patient.add_free_days(created["id"], 5, idempotency_key="retry-1")
        assert after == patient.add_free_days(created["id"], 5, idempotency_key="retry-1")
    assert after.renewal_period_end is not None
    assert (after.renewal_period_end - before).days == 5


def test_a_slow_whop_times_out(peer: Peer) -> None:
    created = member(peer)
    peer.control("faults", {"delay_ms": 400})
    hasty = WhopGateway(KEY, peer.api, max_retries=0, timeout=0.1)
    with hasty, pytest.raises(WhopError) as slow:
        hasty.retrieve_membership(created["id"])
    assert slow.value.status is None and slow.value.retryable


# -- user tokens -----------------------------------------------------------------------------
def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_user_tokens(peer: Peer) -> None:
    keys = fetch_jwks(f"{peer.base}{MOUNT}/.well-known/jwks.json")
    verifier = UserTokenVerifier(APP, keys)
    minted = peer.control("user_tokens", {"user_id": ADA, "app_id": APP, "company_id": "biz_1"})
    claims = verifier.verify({"X-Whop-User-Token": minted["token"]})
    assert (claims.user_id, claims.app_id, claims.company_id) == (ADA, APP, "biz_1")
    assert claims.expires_at.timestamp() > time.time()

    issuer = peer.sandbox.tokens
    refused: list[tuple[str, type[WhopUserTokenError]]] = [
        (issuer.mint("user_a", APP, ttl=-120), UserTokenExpired),
        (issuer.mint("user_a", "app_someoneelse"), UserTokenWrongAudience),
        (issuer.mint("user_a", APP, issuer="urn:example:not-whop"), UserTokenWrongIssuer),
        ("not.a.jwt", UserTokenMalformed),
        ("garbage", UserTokenMalformed),
        (WhopSandbox("http://x", SECRET, [KEY]).tokens.mint("user_a", APP), UserTokenUnknownKey),
        (
            WhopSandbox("http://x", SECRET, [KEY]).tokens.mint("user_a", APP, kid=issuer.kid),
            UserTokenBadSignature,
        ),
    ]
    header = {"alg": "none", "typ": "JWT", "kid": issuer.kid}
    claims_none = {"sub": "user_a", "aud": APP, "iss": "urn:whopcom:exp-proxy",
                   "exp": int(time.time()) + 300}  # fmt: skip
    refused.append((f"{b64(header)}.{b64(claims_none)}.", UserTokenAlgorithmRefused))
    # key confusion: an HMAC keyed with the published public key
    signing_input = f"{b64({**header, 'alg': 'HS256'})}.{b64(claims_none)}"
    public = json.dumps(keys["keys"][0]).encode()
    mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    hmac_token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    refused.append((hmac_token, UserTokenAlgorithmRefused))
    for token, error in refused:
        with pytest.raises(error) as caught:
            verifier.verify(token)
        assert caught.value.http_status == 401, token
    for empty in (None, "", {}, {"authorization": "Bearer x"}):
        with pytest.raises(UserTokenMissing):
            verifier.verify(empty)


def test_a_key_published_without_kid_verifies_any_kid(peer: Peer) -> None:
    bare = {k: v for k, v in peer.sandbox.tokens.jwks()["keys"][0].items() if k != "kid"}
    verifier = UserTokenVerifier(APP, jwks_from_public_key(json.dumps(bare)))
    assert verifier.verify(peer.sandbox.tokens.mint(ADA, APP)).user_id == ADA
    with pytest.raises(UserTokenBadSignature):
        verifier.verify(WhopSandbox("http://x", SECRET, [KEY]).tokens.mint(ADA, APP))


def test_tokens_within_the_leeway_pass(peer: Peer) -> None:
    verifier = UserTokenVerifier(APP, peer.sandbox.tokens.jwks(), leeway=30)
    just_expired = peer.sandbox.tokens.mint("user_a", APP, ttl=-5)
    assert verifier.verify(just_expired).user_id == "user_a"
    with pytest.raises(UserTokenExpired):
        UserTokenVerifier(APP, peer.sandbox.tokens.jwks(), leeway=0).verify(just_expired)


# -- recorded-style payloads -----------------------------------------------------------------
def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def test_fixtures_parse_in_both_dated_shapes() -> None:
    SdkMembership.model_validate(fixture("membership.json"))
    PostPaymentFailedPayload.model_validate(fixture("payment.failed.json"))
    current = parse_event(fixture("payment.failed.json"))
    legacy = parse_event(fixture("payment.failed.legacy.json"))
    assert isinstance(current, PaymentEvent) and isinstance(legacy, PaymentEvent)
    assert (current.amount, current.currency, current.membership_id) == (
        1000, "usd", "mem_xxxxxxxxxxxxxx",
    )  # fmt: skip
    assert (legacy.amount, legacy.company_id, legacy.user_id) == (
        690, "biz_xxxxxxxxxxxxxx", "user_xxxxxxxxxxxxx",
    )  # fmt: skip
    changed = parse_event(fixture("membership.cancel_at_period_end_changed.json"))
    assert isinstance(changed, MembershipEvent) and changed.cancel_at_period_end
    assert (changed.amount, changed.company_id) == (1000, "biz_xxxxxxxxxxxxxx")
    gone = parse_event(fixture("membership.deactivated.legacy.json"))
    assert isinstance(gone, MembershipEvent) and gone.status == "canceled"
    assert gone.renewal_period_end is not None and gone.plan_id == "plan_xxxxxxxxxxxxx"
    with pytest.raises(WhopEventUnsupported):
        parse_event({**fixture("payment.failed.json"), "type": "entry.created"})
