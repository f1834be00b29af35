"""Checkout, trial reuse, missed webhooks and drift, through the sandbox, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from tests.e2e.subscription_support import lifecycle_server, pay, signup, subscription, tenant
from tests.support import ADMIN


def test_ten_concurrent_checkouts_give_one_session(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        tenant_id, auth = signup(server, "rush@example.com")
        with ThreadPoolExecutor(10) as pool:
            answers = list(
                pool.map(
                    lambda _: server.http.post(
                        "/api/v1/checkout", json={"plan": "starter"}, headers=auth
                    ),
                    range(10),
                )
            )
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        assert len({a.json()["session_id"] for a in answers}) == 1
        assert len({a.json()["url"] for a in answers}) == 1
        sessions = [
            o
            for o in server.sandbox.store.objects.values()
            if o.get("object") == "checkout.session"
        ]
        assert len(sessions) == 1, "Stripe must see one session, not ten"
        admin = server.http.post(
            f"/admin/api/tenants/{tenant_id}/checkout", json={"plan": "starter"}, headers=ADMIN
        )
        assert admin.json()["session_id"] == answers[0].json()["session_id"]
        with server.runtime.db.read() as s:
            rows = s.execute(sa.text("SELECT count(*) FROM checkout_sessions")).scalar_one()
            subs = s.execute(sa.text("SELECT count(*) FROM subscriptions")).scalar_one()
        assert rows == 1 and subs == 1


def test_a_second_tenant_with_the_same_phone_gets_no_trial(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        _, first = signup(server, "first@example.com", phone="+447911123456")
        assert pay(server, first)["trial_days"] == 7
        second_id, second = signup(server, "second@example.com", phone="07911 123456")
        offer = server.http.post(
            "/api/v1/checkout", json={"plan": "starter"}, headers=second
        ).json()
        assert offer["trial_days"] == 0
        assert "phone ***456 already had a trial" in offer["trial_refusal"]
        assert "ten_" not in offer["trial_refusal"]  # never another tenant's id
        server.sandbox.complete_checkout(offer["session_id"])
        server.sandbox.wait_idle(15)
        server.wait_for(server.settled)
        got = tenant(server, second_id)
        assert got["billing_status"] == "active"  # paid at once, no trial
        assert any(e["kind"] == "trial_refused" for e in got["timeline"])
        # The same email in another form (case, plus-address) is the same identity.
        _, third = signup(server, "First+promo@Example.com", phone=None)
        again = server.http.post("/api/v1/checkout", json={"plan": "starter"}, headers=third).json()
        assert again["trial_days"] == 0 and "email" in again["trial_refusal"]


def test_catch_up_applies_a_cancellation_whose_webhook_was_dropped(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        tenant_id, auth = signup(server, "dropped@example.com")
        pay(server, auth, plan="flex")
        server.sandbox.faults.drop_types = {"customer.subscription.deleted"}
        assert server.http.post("/api/v1/subscription/cancel", headers=auth).status_code == 200
        server.sandbox.wait_idle(15)
        server.wait_for(server.settled)
        assert tenant(server, tenant_id)["billing_status"] == "trialing"  # the webhook never came
        r = server.http.post("/admin/api/stripe/sync", json={"since": "1h"}, headers=ADMIN)
        assert r.status_code == 200 and r.json()["ingested"] >= 1
        server.wait_for(server.settled)
        assert tenant(server, tenant_id)["billing_status"] == "canceled"
        again = server.http.post("/admin/api/stripe/sync", json={"since": "1h"}, headers=ADMIN)
        assert again.json()["ingested"] == 0  # nothing twice
        bad = server.http.post(
            "/admin/api/stripe/sync", json={"since": "three days"}, headers=ADMIN
        )
        assert bad.status_code == 422 and "--since" in bad.json()["error"]["message"]


def test_drift_is_corrected_and_recorded(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        tenant_id, auth = signup(server, "drift@example.com")
        pay(server, auth, plan="pro")
        sub_id = subscription(server, tenant_id)["stripe_subscription_id"]
        server.sandbox.faults.drop_types = {"customer.subscription.updated"}
        with server.sandbox.store.lock:  # Stripe's side changes with no webhook at all
            server.sandbox.store.objects[sub_id]["status"] = "past_due"
        from steward.subscriptions import service

        assert service.reconcile_drift(server.runtime) == 1
        assert service.reconcile_drift(server.runtime) == 0
        got = subscription(server, tenant_id)
        assert got["status"] == "past_due"
        assert got["transitions"][-1]["cause"] == "sync"
        with server.runtime.db.read() as s:
            assert (
                s.execute(
                    sa.text("SELECT count(*) FROM domain_events WHERE type = 'subscription.drift'")
                ).scalar_one()
                == 1
            )


def test_a_dispute_suspends_by_policy_and_a_refund_is_reported(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        tenant_id, auth = signup(server, "dispute@example.com")
        pay(server, auth, plan="pro")
        customer = tenant(server, tenant_id)["stripe_customer_id"]
        charge = {
            "id": "ch_1",
            "object": "charge",
            "customer": customer,
            "amount": 9900,
            "amount_refunded": 9900,
            "currency": "gbp",
        }
        server.sandbox.emit("charge.refunded", charge)
        server.sandbox.wait_idle(15)
        server.wait_for(server.settled)
        assert server.http.get("/api/v1/entitlements", headers=auth).json()["access"] == "full"
        server.sandbox.emit(
            "charge.dispute.created",
            {
                "id": "dp_1",
                "object": "dispute",
                "charge": charge,
                "amount": 9900,
                "currency": "gbp",
            },
        )
        server.sandbox.wait_idle(15)
        server.wait_for(server.settled)
        assert server.http.get("/api/v1/entitlements", headers=auth).json()["access"] == "suspended"
        with server.runtime.db.read() as s:
            types = s.execute(sa.text("SELECT type FROM domain_events ORDER BY id")).scalars().all()
        assert {"charge.refunded", "charge.dispute.created", "tenant.suspend_requested"} <= set(
            types
        )


def test_a_card_that_already_had_a_trial_is_flagged(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        first_id, first = signup(server, "cardone@example.com", phone=None)
        pay(server, first)
        second_id, second = signup(server, "cardtwo@example.com", phone="+447400123456")
        pay(server, second)
        for tenant_id in (first_id, second_id):
            customer = tenant(server, tenant_id)["stripe_customer_id"]
            server.sandbox.emit(
                "payment_method.attached",
                {
                    "id": f"pm_{tenant_id}",
                    "object": "payment_method",
                    "customer": customer,
                    "card": {"brand": "visa", "last4": "4242", "fingerprint": "fp_same_card"},
                },
            )
            server.sandbox.wait_idle(15)
            server.wait_for(server.settled)
        assert any(e["kind"] == "trial_reuse" for e in tenant(server, second_id)["timeline"])
        assert not any(e["kind"] == "trial_reuse" for e in tenant(server, first_id)["timeline"])
