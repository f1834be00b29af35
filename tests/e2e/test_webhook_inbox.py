"""The webhook inbox end to end: real server, real HTTP, signed recorded payloads, both DBs."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from steward.inbox.handlers import HandlerContext
from tests.support import (
    ADMIN,
    OLD_SECRET,
    Server,
    checkout_completed,
    event,
    fixture,
    free_port,
    settings_for,
    sign,
)


@pytest.fixture
def server(db: tuple[str, str]) -> Any:
    with Server(settings_for(*db, port=free_port(), sandbox=False)) as srv:
        yield srv


def new_tenant(server: Server, **body: Any) -> dict[str, Any]:
    payload = {"email": "Owner@Example.com", "name": "Ace Plumbing", "phone": "07911 123456"} | body
    r = server.http.post("/admin/api/tenants", json=payload, headers=ADMIN)
    assert r.status_code == 201, r.text
    return dict(r.json())


def tenant(server: Server, tenant_id: str) -> dict[str, Any]:
    r = server.http.get(f"/admin/api/tenants/{tenant_id}", headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def events(server: Server, **params: Any) -> dict[str, Any]:
    r = server.http.get("/admin/api/events", params=params, headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_paid_checkout_activates_the_tenant_once(server: Server) -> None:
    t = new_tenant(server)
    assert t["phone"] == "+447911123456"
    ev = checkout_completed(t["id"])
    first = server.post_event(ev)
    assert first.status_code == 200
    assert first.json() == {"received": True, "duplicate": False}
    again = server.post_event(ev)
    assert again.json() == {"received": True, "duplicate": True}
    server.wait_for(server.settled)
    got = tenant(server, t["id"])
    assert got["payment_status"] == "active"
    assert got["billing_status"] == "trialing"  # the demo starter plan has a 7-day trial
    assert got["stripe_customer_id"] == "cus_Checkout0000000000000005"
    assert got["stripe_subscription_id"] == "sub_Checkout0000000000000006"
    assert got["trial_ends_at"] is not None
    billing = [e for e in got["timeline"] if e["kind"] == "billing"]
    assert len(billing) == 1 and "checkout completed" in billing[0]["message"]
    page = events(server, type="checkout.session.completed")
    assert page["total"] == 1 and page["items"][0]["deliveries"] == 2
    assert page["items"][0]["status"] == "processed"


def test_second_activation_of_another_event_is_a_no_op(server: Server) -> None:
    t = new_tenant(server)
    server.post_event(checkout_completed(t["id"]))
    server.wait_for(server.settled)
    server.post_event(checkout_completed(t["id"]))  # a second event id, same subscription
    server.wait_for(server.settled)
    got = tenant(server, t["id"])
    assert [e["kind"] for e in got["timeline"]].count("billing") == 1
    assert any(e["kind"] == "duplicate_activation" for e in got["timeline"])


def test_twenty_concurrent_duplicates_are_stored_and_applied_once(server: Server) -> None:
    t = new_tenant(server)
    ev = checkout_completed(t["id"])
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: server.post_event(ev), range(20)))
    assert all(a.status_code == 200 for a in answers)
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 19
    server.wait_for(server.settled)
    page = events(server)
    assert page["total"] == 1 and page["items"][0]["deliveries"] == 20
    billing = [e for e in tenant(server, t["id"])["timeline"] if e["kind"] == "billing"]
    assert len(billing) == 1


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("tampered", "signature_invalid"),
        ("wrong_secret", "signature_invalid"),
        ("old_timestamp", "signature_timestamp_out_of_tolerance"),
        ("future_timestamp", "signature_timestamp_out_of_tolerance"),
        ("no_header", "signature_missing"),
        ("garbage_header", "signature_invalid"),
        ("not_json", "event_malformed"),
        ("not_an_event", "event_malformed"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_stored(
    server: Server, case: str, code: str
) -> None:
    body = json.dumps(checkout_completed("ten_x"))
    headers = {"Stripe-Signature": sign(body)}
    if case == "tampered":
        body = body.replace("ten_x", "ten_y")
    elif case == "wrong_secret":
        headers["Stripe-Signature"] = sign(body, "whsec_someone_else")
    elif case == "old_timestamp":
        headers["Stripe-Signature"] = sign(body, timestamp=int(time.time()) - 330)
    elif case == "future_timestamp":
        headers["Stripe-Signature"] = sign(body, timestamp=int(time.time()) + 330)
    elif case == "no_header":
        headers = {}
    elif case == "garbage_header":
        headers["Stripe-Signature"] = "nonsense"
    elif case == "not_json":
        body = "this is not json"
        headers["Stripe-Signature"] = sign(body)
    elif case == "not_an_event":
        body = json.dumps({"hello": "world"})
        headers["Stripe-Signature"] = sign(body)
    r = server.http.post("/webhooks/stripe", content=body, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]
    assert events(server)["total"] == 0


def test_a_rotated_secret_is_still_accepted(server: Server) -> None:
    t = new_tenant(server)
    r = server.post_event(checkout_completed(t["id"]), secret=OLD_SECRET)
    assert r.status_code == 200 and r.json()["duplicate"] is False


def test_unknown_types_are_stored_and_ignored(server: Server) -> None:
    raw = fixture("charge.captured.json")
    assert server.post_event(raw).status_code == 200
    server.wait_for(server.settled)
    page = events(server)
    assert page["items"][0]["status"] == "ignored" and page["items"][0]["type"] == "charge.captured"


@pytest.mark.parametrize("reference", [None, "ten_does_not_exist"])
def test_unresolvable_checkout_fails_with_a_reason_and_is_counted(
    server: Server, reference: str | None
) -> None:
    ev = checkout_completed(reference)
    assert server.post_event(ev).status_code == 200
    server.wait_for(server.settled)
    item = events(server, status="failed")["items"][0]
    assert item["attempts"] == 1  # not retried forever
    assert (
        ("neither client_reference_id" in item["last_error"])
        if reference is None
        else ("does not exist" in item["last_error"])
    )
    ready = server.http.get("/readyz").json()
    assert ready["failed"] == 1


def test_failing_handler_retries_then_dead_letters_then_replays(db: tuple[str, str]) -> None:
    calls = {"n": 0, "heal": False}

    def flaky(ctx: HandlerContext) -> None:
        calls["n"] += 1
        if not calls["heal"]:
            raise RuntimeError("downstream is down")

    settings = settings_for(*db, port=free_port(), sandbox=False, max_attempts=3)
    from steward.bootstrap import build

    steward = build(settings)
    steward.inbox.registry.register("stripe", "test.flaky", flaky)
    with Server(settings, steward) as server:
        ev = event("test.flaky", {"id": "obj_1", "object": "thing"})
        server.post_event(ev)
        server.wait_for(lambda: server.event_status(ev["id"]) == "dead")
        assert calls["n"] == 3
        detail = server.http.get(
            f"/admin/api/events/{events(server)['items'][0]['id']}", headers=ADMIN
        ).json()
        assert detail["last_error"] == "RuntimeError: downstream is down"
        assert "Traceback" in detail["traceback"] and "flaky" in detail["traceback"]
        assert server.http.get("/readyz").json()["dead_letters"] == 1
        # Stripe delivers the dead event again: not duplicated, still dead.
        assert server.post_event(ev).json()["duplicate"] is True
        assert events(server)["total"] == 1
        calls["heal"] = True
        replay = server.http.post(f"/admin/api/events/{detail['id']}/replay", headers=ADMIN)
        assert replay.status_code == 200 and replay.json()["status"] == "pending"
        server.wait_for(lambda: server.event_status(ev["id"]) == "processed")
        assert calls["n"] == 4
        again = server.http.post(f"/admin/api/events/{detail['id']}/replay", headers=ADMIN)
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_out_of_order_delivery_ends_in_the_same_state(db: tuple[str, str]) -> None:
    from tests.support import subscription_event

    def run(order: list[int]) -> dict[str, Any]:
        with Server(settings_for(*db, port=free_port(), sandbox=False)) as server:
            t = new_tenant(server, email=f"o{time.time_ns()}@example.com")
            base = int(time.time()) - 100
            common = {
                "sub_id": f"sub_{t['id']}",
                "customer": f"cus_{t['id']}",
                "tenant_id": t["id"],
            }
            sequence = [
                checkout_completed(
                    t["id"],
                    created=base,
                    subscription=common["sub_id"],
                    customer=common["customer"],
                ),
                subscription_event(
                    "customer.subscription.updated", status="active", created=base + 10, **common
                ),
                subscription_event(
                    "customer.subscription.updated", status="past_due", created=base + 20, **common
                ),
                subscription_event(
                    "customer.subscription.deleted", status="canceled", created=base + 30, **common
                ),
            ]
            for i in order:
                assert server.post_event(sequence[i]).status_code == 200
                server.wait_for(server.settled)
            return tenant(server, t["id"])

    in_order = run([0, 1, 2, 3])
    reversed_ = run([3, 2, 1, 0])
    shuffled = run([1, 3, 0, 2])
    for got in (in_order, reversed_, shuffled):
        assert got["billing_status"] == "canceled"
        assert got["payment_status"] == "inactive"
        assert got["stripe_subscription_id"] == f"sub_{got['id']}"
    assert any(e["kind"] == "stale_event" for e in reversed_["timeline"])


def test_admin_api_needs_the_token_and_validates_input(server: Server) -> None:
    assert server.http.get("/admin/api/events").status_code == 401
    bad = server.http.get("/admin/api/events", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    r = server.http.post(
        "/admin/api/tenants",
        json={"email": "a@b.co", "name": "X", "phone": "not a phone"},
        headers=ADMIN,
    )
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "phone"
    r = server.http.post("/admin/api/tenants", json={"name": "X"}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["error"]["details"]["fields"][0]["field"] == "email"
    r = server.http.post(
        "/admin/api/tenants", json={"email": "a@b.co", "name": "X", "plan": "gold"}, headers=ADMIN
    )
    assert r.status_code == 422 and "known plans" in r.json()["error"]["message"]
    assert server.http.get("/admin/api/tenants/ten_nope", headers=ADMIN).status_code == 404


def test_health_readiness_and_metrics(server: Server) -> None:
    assert server.http.get("/healthz").json() == {"status": "ok"}
    ready = server.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["queue_depth"] == 0
    t = new_tenant(server)
    ev = checkout_completed(t["id"])
    server.post_event(ev)
    server.post_event(ev)
    server.wait_for(server.settled)
    text = server.http.get("/metrics").text
    assert (
        'steward_events_received_total{source="stripe",type="checkout.session.completed"}' in text
    )
    assert "steward_events_duplicate_total" in text
    assert "steward_event_processing_latency_seconds_bucket" in text
    assert 'steward_events_backlog{status="dead"} 0.0' in text
    assert server.http.get("/healthz").headers["x-content-type-options"] == "nosniff"
