"""Onboarding's machine through JobRun's flow over the running server: duplicate and reordered
deliveries, a skipped step refused by the guard, go-live refused before payment and before the
test call, and keyword texts (STOP/HELP) left to the messaging layer."""

from __future__ import annotations

from examples.jobrun.tests.journey import ANSWERS, Journey, jobrun

from tests.conftest import db
from tests.support import ADMIN

__all__ = ["db"]


def _advance(j: Journey, tenant_id: str, to: str) -> tuple[int, dict[str, object]]:
    r = j.server.http.post(
        f"/admin/api/onboarding/{tenant_id}/advance",
        json={"to": to, "reason": "operator test"},
        headers=ADMIN,
    )
    return r.status_code, r.json()


def test_duplicate_and_reordered_deliveries(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        call = j.missed_call()
        tenant_id = j.tenant_id()
        assert j.deliver("call.received", call, {}) is False  # the same CallSid: stored once
        first = j.text(ANSWERS[0])
        j.text(ANSWERS[0], message_sid=first)  # Twilio retried the same message
        assert j.state(tenant_id) == "S2_TRADE"
        assert j.onboarding(tenant_id)["answers"] == {"business_name": ANSWERS[0]}
        for answer in ANSWERS[1:]:
            j.text(answer)
        number = j.to_number(tenant_id)
        # the test call lands before the customer confirms forwarding: kept, and used at S9
        j.call_ended(number)
        assert j.state(tenant_id) == "S7_FORWARDING"
        j.text("done")
        j.text("default")
        view = j.onboarding(tenant_id)
        assert view["state"] == "LIVE" and view["live"] is True
        # a late duplicate of the paid checkout or the test call changes nothing
        j.call_ended(number)
        assert len(j.onboarding(tenant_id)["transitions"]) == len(view["transitions"])


def test_skipped_step_is_refused_by_the_guard(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        j.missed_call()
        tenant_id = j.tenant_id()
        status, body = _advance(j, tenant_id, "S5_CONFIRM_LIVE")  # S1 → S5: not in the table
        assert status == 409 and body["error"]["code"] == "onboarding_transition_refused"
        status, body = _advance(j, tenant_id, "S2_TRADE")  # next, but no business name yet
        assert status == 409 and body["error"]["code"] == "onboarding_guard_refused"
        assert "the answer business_name is missing" in body["error"]["message"]
        assert j.state(tenant_id) == "S1_BUSINESS_NAME"
        status, body = _advance(j, tenant_id, "NOPE")
        assert status == 422


def test_go_live_is_refused_before_payment_and_before_the_test_call(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        tenant_id = j.details()
        j.text("yes, go live")  # at the gate, words do not pass it
        assert j.state(tenant_id) == "S5_CONFIRM_LIVE"
        assert "we'll text you the moment payment goes through" in j.last_reply(tenant_id)
        status, body = _advance(j, tenant_id, "S6_ASSIGN_NUMBER")
        assert status == 409 and "payment is not active" in body["error"]["message"]
        assert j.onboarding(tenant_id)["live"] is False

        number = j.to_number(tenant_id)
        j.text("done")
        j.text("default")
        assert j.state(tenant_id) == "S9_TEST_CALL"
        status, body = _advance(j, tenant_id, "LIVE")
        assert status == 409 and body["error"]["code"] == "onboarding_guard_refused"
        assert "no test call" in body["error"]["message"]
        assert j.onboarding(tenant_id)["live"] is False
        j.call_ended(number)
        assert j.onboarding(tenant_id)["live"] is True


def test_keywords_are_left_to_messaging(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        j.missed_call()
        tenant_id = j.tenant_id()
        before = j.onboarding(tenant_id)["turns"]
        j.text("STOP")
        j.text("help")
        after = j.onboarding(tenant_id)
        assert after["turns"] == before and after["state"] == "S1_BUSINESS_NAME"
