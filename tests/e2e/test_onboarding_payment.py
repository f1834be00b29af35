"""Paid checkouts are all accounted for: a Payment Link (no tenant reference) is matched by the
E.164 phone in ``metadata.phone_number`` or ``customer_details.phone``; one matching nobody or
two tenants fails with its reason (visible, replayable); a paid one-off checkout nobody applies
fails too. Then manual activation, checked in Stripe, and the late webhook a no-op."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from examples.jobrun.tests.journey import Journey, jobrun

from tests.conftest import db
from tests.support import ADMIN, checkout_completed

__all__ = ["db"]


def _event(j: Journey, external_id: str) -> dict[str, Any]:
    r = j.server.http.get("/admin/api/events", params={"limit": 500}, headers=ADMIN)
    return next(e for e in r.json()["items"] if e["external_id"] == external_id)


def _signup(j: Journey, email: str, phone: str) -> str:
    r = j.server.http.post(
        "/admin/api/tenants", json={"email": email, "name": email, "phone": phone}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _link(phone: str | None, customer_phone: str | None = None) -> dict[str, Any]:
    return checkout_completed(
        None,
        metadata={"phone_number": phone} if phone else {},
        customer_details={"phone": customer_phone, "email": "x@example.com"},
        payment_status="paid",
        subscription=None,
    )


def test_payment_link_matched_by_phone(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        by_metadata = _signup(j, "a@example.com", "+447911123456")
        by_customer = _signup(j, "b@example.com", "+447400123456")
        first = _link("07911 123456")  # as typed: normalized to E.164 before matching
        second = _link(None, "+44 7400 123456")
        for e in (first, second):
            assert j.server.post_event(e).status_code == 200
        j.settle()
        for e, tenant_id in ((first, by_metadata), (second, by_customer)):
            event = _event(j, e["id"])
            assert event["status"] == "processed" and event["tenant_id"] == tenant_id
            assert j.tenant(tenant_id)["payment_status"] == "active"


def test_payment_link_matching_nobody_or_two_fails_with_its_reason(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        _signup(j, "a@example.com", "+447911123456")
        _signup(j, "b@example.com", "+447911123456")
        nobody, two = _link("+447400123456"), _link("+447911123456")
        for e in (nobody, two):
            assert j.server.post_event(e).status_code == 200
        j.settle()
        failed = _event(j, nobody["id"])
        assert failed["status"] == "failed" and "matches no tenant" in failed["last_error"]
        failed = _event(j, two["id"])
        assert failed["status"] == "failed"
        assert "matches more than one tenant" in failed["last_error"]
        assert "+447911123456" not in failed["last_error"]  # masked
        # visible and replayable: fix the data, replay, and it applies
        with j.server.runtime.db.transaction() as s:
            s.execute(sa.text("UPDATE tenants SET phone = NULL WHERE email = 'b@example.com'"))
        r = j.server.http.post(f"/admin/api/events/{failed['id']}/replay", headers=ADMIN)
        assert r.status_code in (200, 202), r.text
        j.settle()
        assert _event(j, two["id"])["status"] == "processed"


def test_paid_one_off_checkout_nobody_applies_fails(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        known = _signup(j, "a@example.com", "+447911123456")
        unknown = checkout_completed("ten_missing", mode="payment", payment_status="paid")
        anonymous = checkout_completed(None, mode="payment", payment_status="paid", metadata={})
        named = checkout_completed(known, mode="payment", payment_status="paid", metadata={})
        for e in (unknown, anonymous, named):
            assert j.server.post_event(e).status_code == 200
        j.settle()
        failed = _event(j, unknown["id"])
        assert failed["status"] == "failed"
        assert "not a wallet top-up and names tenant ten_missing" in failed["last_error"]
        assert "names no tenant" in _event(j, anonymous["id"])["last_error"]
        assert _event(j, named["id"])["status"] == "processed"
        kinds = [e["kind"] for e in j.tenant(known)["timeline"]]
        assert "one_off_payment" in kinds


def test_manual_activation_then_the_late_webhook_is_a_no_op(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        tenant_id = j.details()
        lost = ["checkout.session.completed", "customer.subscription.created"]
        r = j.server.http.post("/sandbox/stripe/_sandbox/faults", json={"drop_types": lost})
        assert r.status_code == 200, r.text
        session_id = j.onboarding(tenant_id)["signals"]["checkout_session"]

        def activate(**body: Any) -> Any:
            return j.server.http.post(
                f"/admin/api/tenants/{tenant_id}/activate", json=body, headers=ADMIN
            )

        # not paid yet: Stripe shows no payment, nothing changes
        r = activate(reason="customer says they paid", stripe_reference=session_id)
        assert r.status_code == 409 and r.json()["error"]["code"] == "payment_not_confirmed"
        j.pay(tenant_id)
        assert j.tenant(tenant_id)["payment_status"] == "none"  # the webhook never came
        assert activate(stripe_reference=session_id).status_code == 422  # a reason is required
        r = activate(reason="webhook lost; paid per Stripe dashboard", stripe_reference=session_id)
        assert r.status_code == 200, r.text
        assert r.json()["billing_status"] == "trialing"
        tenant = j.tenant(tenant_id)
        assert tenant["payment_status"] == "active" and tenant["trial_ends_at"] is not None
        j.wait_state(tenant_id, "S7_FORWARDING")  # onboarding and provisioning moved on
        audit = j.server.http.get("/admin/api/audit", headers=ADMIN).json()
        items = audit["items"] if isinstance(audit, dict) else audit
        assert any(a["action"] == "tenant.activate" for a in items)
        assert activate(reason="again", stripe_reference=session_id).status_code == 409

        # the lost webhooks arrive at last: recorded as duplicates, nothing else changes
        r = j.server.http.post("/sandbox/stripe/_sandbox/faults", json={"drop_types": []})
        late = [e for e in j.server.sandbox.events if e["type"] in lost]
        for e in late:
            assert j.server.post_event(e).status_code == 200
        j.settle()
        assert all(_event(j, e["id"])["status"] == "processed" for e in late)
        kinds = [e["kind"] for e in j.tenant(tenant_id)["timeline"]]
        assert kinds.count("already_active") == 1
        moves = [t["to_state"] for t in j.onboarding(tenant_id)["transitions"]]
        assert moves.count("S6_ASSIGN_NUMBER") == 1
        runs = j.server.http.get(
            "/admin/api/provisioning", params={"tenant": tenant_id}, headers=ADMIN
        )
        assert runs.status_code == 200 and runs.json()["total"] == 1, runs.text
