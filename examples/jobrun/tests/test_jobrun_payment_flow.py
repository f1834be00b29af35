"""JobRun's "Payment Flow Tests" checklist, row by row, against the running server: the texted
link paid in the Stripe sandbox (its signed webhooks), or signed checkout events posted as Stripe
would post them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

from tests.conftest import db
from tests.support import ADMIN, ROOT, checkout_completed

from examples.jobrun.tests.journey import ANSWERS, PHONE, Journey, jobrun

__all__ = ["db"]
OTHER = "+447400123456"


def _event(j: Journey, external_id: str) -> dict[str, Any]:
    r = j.server.http.get("/admin/api/events", params={"limit": 500}, headers=ADMIN)
    return next(e for e in r.json()["items"] if e["external_id"] == external_id)


def _paid_event(j: Journey) -> dict[str, Any]:
    return next(e for e in j.server.sandbox.events if e["type"] == "checkout.session.completed")


def _alerts(j: Journey, rule: str, status: str = "open") -> list[dict[str, Any]]:
    r = j.server.http.get("/admin/api/alerts", params={"status": status}, headers=ADMIN)
    assert r.status_code == 200, r.text
    return [a for a in r.json()["items"] if a["rule"] == rule]


def test_happy_path_customer_pays_client_activated(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        tenant_id = j.details()
        assert j.tenant(tenant_id)["payment_status"] == "none"
        j.pay(tenant_id)
        tenant = j.tenant(tenant_id)
        assert tenant["payment_status"] == "active" and tenant["billing_status"] == "trialing"
        event = _event(j, _paid_event(j)["id"])
        assert event["status"] == "processed" and event["tenant_id"] == tenant_id
        j.wait_state(tenant_id, "S7_FORWARDING")


def test_duplicate_webhook_idempotency_prevents_double_activation(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        tenant_id = j.details()
        j.pay(tenant_id)
        paid = _paid_event(j)
        assert j.server.post_event(paid).status_code == 200  # the same delivery again
        again = dict(paid, id=paid["id"] + "_again")  # the same checkout, another event id
        assert j.server.post_event(again).status_code == 200
        j.settle()
        assert _event(j, again["id"])["status"] == "processed"
        timeline = [e["kind"] for e in j.tenant(tenant_id)["timeline"]]
        assert timeline.count("already_active") == 1
        r = j.server.http.get(f"/admin/api/tenants/{tenant_id}/subscription", headers=ADMIN)
        assert r.json()["status"] == "trialing"
        j.wait_state(tenant_id, "S7_FORWARDING")
        moves = [t["to_state"] for t in j.onboarding(tenant_id)["transitions"]]
        assert moves.count("S6_ASSIGN_NUMBER") == 1


def test_trial_already_used_rejected_correctly(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        first = j.details()
        j.pay(first)
        # a second signup from another phone with the same email gets no second trial
        second = j.details(OTHER, ("Ace Again", "plumber", "Leeds", ANSWERS[3]))
        view = j.onboarding(second)
        assert "trial_refused" in view["signals"]
        assert "start your 7-day free trial" not in j.last_reply(second)
        assert "subscribe" in j.last_reply(second)
        j.pay(second, OTHER)
        tenant = j.tenant(second)
        assert tenant["billing_status"] == "active" and tenant["trial_ends_at"] is None


def test_payment_failure_ops_alert_fires_after_2_hours(db: tuple[str, str]) -> None:
    """Keyed on reaching S5, not on signing up: three hours answering, then two at the gate."""
    with jobrun(db) as j:
        j.missed_call()
        tenant_id = j.tenant_id()
        j.clock.advance(timedelta(hours=3))
        for answer in ANSWERS:
            j.text(answer)
        assert j.state(tenant_id) == "S5_CONFIRM_LIVE"
        j.server.alerts.sweep()
        assert _alerts(j, "payment_gate") == []  # signed up 3 h ago, but only now at the gate
        j.clock.advance(timedelta(hours=1, minutes=50))
        j.server.alerts.sweep()
        assert _alerts(j, "payment_gate") == []
        j.clock.advance(timedelta(minutes=15))
        j.server.alerts.sweep()
        j.server.alerts.sweep()
        (alert,) = _alerts(j, "payment_gate")
        assert alert["tenant_id"] == tenant_id and "reached S5_CONFIRM_LIVE 2 h" in alert["message"]
        j.pay(tenant_id)
        j.server.alerts.sweep()
        assert _alerts(j, "payment_gate") == []
        assert [a["tenant_id"] for a in _alerts(j, "payment_gate", "resolved")] == [tenant_id]


def test_phone_mismatch_error_logged_no_crash(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        tenant_id = j.details()
        j.pay(tenant_id, phone=OTHER)  # typed another phone at checkout
        tenant = j.tenant(tenant_id)
        assert tenant["payment_status"] == "active"
        mismatch = [e for e in tenant["timeline"] if e["kind"] == "phone_mismatch"]
        assert len(mismatch) == 1
        assert _event(j, _paid_event(j)["id"])["status"] == "processed"


def test_missing_metadata_error_logged_no_crash(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        bare = checkout_completed(None, metadata={}, customer_details={"phone": None})
        assert j.server.post_event(bare).status_code == 200
        j.settle()
        event = _event(j, bare["id"])
        assert event["status"] == "failed"
        assert (
            "neither client_reference_id nor metadata.tenant_id, nor a phone"
            in (event["last_error"])
        )
        assert j.server.http.get("/healthz").status_code == 200


def test_invalid_signature_returns_400(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        forged = checkout_completed(None, metadata={"phone_number": PHONE})
        r = j.server.post_event(forged, secret="whsec_forged")
        assert r.status_code == 400 and r.json()["error"]["code"] == "signature_invalid"
        assert j.server.event_status(forged["id"]) is None


def test_missing_env_logs_error_at_startup() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")} | {
        "STEWARD_MODE": "production",
        "STEWARD_PRODUCT": "examples.jobrun.product:product",
        "STEWARD_ADMIN_TOKEN": "a-real-admin-token-0123456789",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "steward", "worker"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "STEWARD_STRIPE_WEBHOOK_SECRETS is missing or a placeholder" in done.stderr
