"""JobRun's "First Customer Test" checklist, row by row, and the whole journey from a missed call
to live: Twilio-shaped deliveries through the inbox, the texted link paid in the Stripe sandbox
(signed webhooks), a pool number from provisioning, a test call to it."""

from __future__ import annotations

from tests.conftest import db
from tests.support import ADMIN

from examples.jobrun.tests.journey import ANSWERS, PHONE, Journey, jobrun

__all__ = ["db"]


def _missed_call(j: Journey) -> str:
    j.missed_call()
    tenant_id = j.tenant_id()
    assert j.state(tenant_id) == "S1_BUSINESS_NAME"
    assert "What's your business called?" in j.last_reply(tenant_id)
    return tenant_id


def test_send_test_missed_call(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        tenant_id = _missed_call(j)
        tenant = j.tenant(tenant_id)
        assert tenant["phone"] == PHONE and tenant["payment_status"] == "none"
        again = j.missed_call()  # a second missed call: the same conversation, no new tenant
        assert again and j.tenant_id() == tenant_id
        assert [t["to_state"] for t in j.onboarding(tenant_id)["transitions"]] == [
            "S1_BUSINESS_NAME"
        ]


def test_whole_journey_missed_call_to_live(db: tuple[str, str]) -> None:
    """Also the rows "Complete onboarding flow (S1 → S5)", "Complete Stripe checkout", "Verify
    client activation in database", "Verify trial dates set correctly", "Complete test call
    (S9)" and "Verify full system operational"."""
    with jobrun(db) as j:
        tenant_id = _missed_call(j)
        # Complete onboarding flow (S1 → S5)
        j.text(ANSWERS[0])
        j.text("astronaut")  # not a trade: a clear re-ask, never a crash
        assert j.state(tenant_id) == "S2_TRADE"
        assert "didn't catch the trade" in j.last_reply(tenant_id)
        for answer in ANSWERS[1:]:
            j.text(answer)
        view = j.onboarding(tenant_id)
        assert view["state"] == "S5_CONFIRM_LIVE"
        assert view["answers"] == {
            "business_name": "Ace Plumbing", "trade": "plumber", "area": "Leeds LS1",
            "email": "owner@aceplumbing.example",
        }  # fmt: skip
        link = view["signals"]["payment_link"]
        assert link in j.last_reply(tenant_id) and "start your 7-day free trial" in j.last_reply(
            tenant_id
        )
        assert view["live"] is False
        tenant = j.tenant(tenant_id)
        assert tenant["name"] == "Ace Plumbing" and tenant["email"] == "owner@aceplumbing.example"

        # Complete Stripe checkout; Verify client activation in database
        j.pay(tenant_id)
        tenant = j.tenant(tenant_id)
        assert tenant["payment_status"] == "active" and tenant["billing_status"] == "trialing"
        assert tenant["activated_at"] is not None
        # Verify trial dates set correctly: seven days from the checkout
        sub = j.server.http.get(f"/admin/api/tenants/{tenant_id}/subscription", headers=ADMIN)
        assert sub.status_code == 200, sub.text
        trial_end = sub.json()["trial_end"]
        assert trial_end is not None
        assert tenant["trial_ends_at"] == trial_end

        # provisioning assigns a number; forwarding instructions go out
        j.wait_state(tenant_id, "S7_FORWARDING")
        number = j.onboarding(tenant_id)["signals"]["number"]
        assert f"**61*{number}#" in j.last_reply(tenant_id)
        j.text("done")
        j.text("DEFAULT")
        assert j.state(tenant_id) == "S9_TEST_CALL"
        assert j.onboarding(tenant_id)["live"] is False

        # Complete test call (S9): a call from someone else, or one that did not connect,
        # is not the test
        j.call_ended(number, phone="+447400123456")
        j.call_ended(number, status="no-answer")
        assert j.state(tenant_id) == "S9_TEST_CALL"
        j.call_ended(number)

        # Verify full system operational
        view = j.onboarding(tenant_id)
        assert view["state"] == "LIVE" and view["status"] == "live" and view["live"] is True
        assert "JobRun is live for Ace Plumbing" in j.last_reply(tenant_id)
        states = [t["to_state"] for t in view["transitions"]]
        assert states == [
            "S1_BUSINESS_NAME", "S2_TRADE", "S3_AREA", "S4_EMAIL", "S5_CONFIRM_LIVE",
            "S6_ASSIGN_NUMBER", "S7_FORWARDING", "S8_REPLY_TEXT", "S9_TEST_CALL", "LIVE",
        ]  # fmt: skip
        assert all(t["cause"] for t in view["transitions"])
