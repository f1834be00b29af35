"""The paid lifecycle through real sandbox webhooks on a test clock, on both databases."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.e2e.subscription_support import (
    advance,
    entitlements,
    lifecycle_server,
    pay,
    signup,
    subscription,
    tenant,
)


def test_a_seven_day_trial_runs_to_active_with_a_notice(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, clock):
        tenant_id, auth = signup(server, "trial@example.com")
        pay(server, auth)
        assert entitlements(server, auth)["access"] == "full"
        assert tenant(server, tenant_id)["billing_status"] == "trialing"
        advance(server, clock, timedelta(days=7, hours=1))
        assert tenant(server, tenant_id)["billing_status"] == "active"
        steps = [
            (t["from_status"], t["to_status"])
            for t in subscription(server, tenant_id)["transitions"]
        ]
        assert steps == [("checkout_open", "trialing"), ("trialing", "active")]
        sink = server.app.state.sandboxes.mail
        server.wait_for(lambda: len(sink.to("trial@example.com")) == 1)
        notice = sink.to("trial@example.com")[0]
        assert "trial ends" in notice.subject and notice.deliveries == 1


def test_cancel_during_a_trial_ends_it_at_once_when_the_plan_says_so(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, _clock):
        tenant_id, auth = signup(server, "flex@example.com")
        pay(server, auth, plan="flex")
        r = server.http.post("/api/v1/subscription/cancel", headers=auth)
        assert r.status_code == 200 and r.json()["mode"] == "immediate"
        server.sandbox.wait_idle(15)
        server.wait_for(lambda: tenant(server, tenant_id)["billing_status"] == "canceled")
        assert entitlements(server, auth)["access"] == "none"
        again = server.http.post("/api/v1/subscription/cancel", headers=auth)
        assert again.status_code == 404


def test_cancel_at_period_end_keeps_access_until_then(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, clock):
        tenant_id, auth = signup(server, "period@example.com")
        pay(server, auth, plan="pro")
        r = server.http.post("/api/v1/subscription/cancel", headers=auth)
        assert r.status_code == 200 and r.json()["mode"] == "period_end"
        server.sandbox.wait_idle(15)
        server.wait_for(lambda: entitlements(server, auth)["cancel_at_period_end"] is True)
        assert entitlements(server, auth)["access"] == "full"
        assert server.http.post("/api/v1/subscription/cancel", headers=auth).status_code == 409
        advance(server, clock, timedelta(days=32))
        assert tenant(server, tenant_id)["billing_status"] == "canceled"
        portal = server.http.post("/api/v1/billing-portal", json={}, headers=auth)
        assert portal.status_code == 200 and "/_sandbox/portal/" in portal.json()["url"]


def test_failed_renewal_goes_past_due_then_suspended_then_recovers(db: tuple[str, str]) -> None:
    with lifecycle_server(db) as (server, clock):
        tenant_id, auth = signup(server, "late@example.com")
        pay(server, auth)
        server.sandbox.lifecycle.declining.add("*")
        advance(server, clock, timedelta(days=7, hours=1))
        assert tenant(server, tenant_id)["billing_status"] == "past_due"
        grace = entitlements(server, auth)
        assert grace["access"] == "grace" and grace["grace_ends_at"] is not None
        clock.advance(timedelta(days=3, hours=1))  # beyond the plan's 3-day grace period
        from steward.subscriptions import service

        assert service.enforce_grace(server.runtime) == 1
        assert service.enforce_grace(server.runtime) == 0  # once
        assert entitlements(server, auth)["access"] == "suspended"
        with server.runtime.db.read() as s:
            asked = s.execute(
                sa.text(
                    "SELECT count(*) FROM domain_events WHERE type = 'tenant.suspend_requested'"
                )
            ).scalar_one()
        assert asked == 1
        server.sandbox.lifecycle.declining.clear()
        advance(server, clock, timedelta(days=1))
        assert tenant(server, tenant_id)["billing_status"] == "active"
        assert entitlements(server, auth)["access"] == "full"
        kinds = [e["kind"] for e in tenant(server, tenant_id)["timeline"]]
        assert "suspended" in kinds and "resumed" in kinds
