"""JobRun's launch document, "Payment Flow Tests" (seed 000_25df6256833d7ff6.txt), replayed
against Steward with the Stripe sandbox as the peer. Each case names the seed's line.

The seed's "Payment failure: ops alert fires after 2 hours" belongs to the alerting rules, and
"Missing ENV: logs error at startup" is tests/integration/test_migrations.py::
test_production_mode_refuses_to_start_without_secrets (Steward refuses to start, naming the
variable, where JobRun only logged)."""

from __future__ import annotations

import json

from tests.e2e.subscription_support import lifecycle_server, pay, signup, tenant
from tests.support import ADMIN, checkout_completed, sign


def test_happy_path_customer_pays_client_activated(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        tenant_id, auth = signup(server, "plumber@example.com")
        pay(server, auth)
        got = tenant(server, tenant_id)
        assert got["payment_status"] == "active" and got["billing_status"] == "trialing"


def test_duplicate_webhook_does_not_double_activate(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        server.sandbox.faults.duplicate = 2  # every delivery arrives three times
        tenant_id, auth = signup(server, "dupe@example.com")
        pay(server, auth)
        got = tenant(server, tenant_id)
        assert [e["kind"] for e in got["timeline"]].count("billing") == 1
        page = server.http.get(
            "/admin/api/events", params={"type": "checkout.session.completed"}, headers=ADMIN
        ).json()
        assert page["total"] == 1 and page["items"][0]["deliveries"] == 3


def test_trial_already_used_is_refused(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        _, first = signup(server, "one@example.com", phone="+447911123456")
        pay(server, first)
        _, second = signup(server, "two@example.com", phone="+447911123456")
        offer = server.http.post(
            "/api/v1/checkout", json={"plan": "starter"}, headers=second
        ).json()
        assert offer["trial_days"] == 0 and offer["trial_refusal"]


def test_phone_mismatch_is_recorded_no_crash(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        tenant_id, auth = signup(server, "mismatch@example.com", phone="+447911123456")
        r = server.http.post("/api/v1/checkout", json={"plan": "starter"}, headers=auth).json()
        server.sandbox.complete_checkout(r["session_id"], phone="+447700900999")
        server.sandbox.wait_idle(15)
        server.wait_for(server.settled)
        got = tenant(server, tenant_id)
        assert got["payment_status"] == "active"
        assert any(e["kind"] == "phone_mismatch" for e in got["timeline"])


def test_missing_metadata_is_recorded_no_crash(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        ev = checkout_completed(None, metadata={})
        assert server.post_event(ev).status_code == 200
        server.wait_for(server.settled)
        item = server.http.get(
            "/admin/api/events", params={"status": "failed"}, headers=ADMIN
        ).json()
        assert item["items"][0]["external_id"] == ev["id"]
        assert (
            "neither client_reference_id nor metadata.tenant_id" in item["items"][0]["last_error"]
        )
        assert server.http.get("/healthz").status_code == 200


def test_invalid_signature_returns_400(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        body = json.dumps(checkout_completed("ten_x"))
        r = server.http.post(
            "/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": sign(body, "whsec_wrong")},
        )
        assert r.status_code == 400 and r.json()["error"]["code"] == "signature_invalid"
