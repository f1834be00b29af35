"""Churn recovery for Whop memberships, end to end: the Whop sandbox posts signed webhooks to the
running server, reminders go out through the official SDK to the sandbox, on a test clock."""

from __future__ import annotations

from datetime import timedelta

from steward.operators.service import COOKIE, create_operator, login
from tests.e2e.recovery_support import (
    COMPANY,
    EXPERIENCE,
    case,
    cases,
    fail_renewal,
    install,
    member,
    recovery_server,
    sent_to,
    settle,
    tick,
    whop,
)
from tests.support import ADMIN

ADA = "user_ada0000000001"
BOB = "user_bob0000000001"
MINUTE = timedelta(minutes=1)


def test_a_failed_payment_gets_each_reminder_once_then_recovers(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, clock):
        auth = install(server, incentive_days=3)
        membership_id = member(server, ADA)
        assert cases(server, auth) == []  # the first payment succeeded: nothing to recover
        opened = fail_renewal(server, auth, membership_id)
        assert opened["amount_due"] == 2500 and opened["currency"] == "usd"
        end_before = whop(server).membership(membership_id)["current_period_end"]

        assert tick(server, clock).sent == 0  # nothing due yet
        assert tick(server, clock, timedelta(days=1) + MINUTE).sent == 1
        assert sent_to(server, ADA) == ["push", "dm"]
        push = next(s for s in whop(server).sent if s.kind == "push")
        assert (
            push.experience_id == EXPERIENCE and f"/billing/manage/{membership_id}" in push.content
        )
        assert whop(server).membership(membership_id)["current_period_end"] > end_before
        assert tick(server, clock).sent == 0  # sent once
        assert tick(server, clock, timedelta(days=2)).sent == 1
        later = tick(server, clock, timedelta(hours=12))
        assert later.sent == 0 and later.closed == 0  # two offsets, two reminders; not given up
        assert sent_to(server, ADA) == ["push", "dm", "push", "dm"]

        whop(server).renew(membership_id, True)
        settle(server)
        detail = case(server, auth, opened["id"])
        assert detail["state"] == "recovered" and detail["recovered_amount"] == 2500
        assert [t["to_state"] for t in detail["transitions"]] == ["open", "recovered"]
        kinds = [(a["kind"], a["channel"], a["attempt"], a["manual"]) for a in detail["actions"]]
        assert kinds == [
            ("incentive", None, None, False),
            ("nudge", "push", 1, False),
            ("nudge", "dm", 1, False),
            ("nudge", "push", 2, False),
            ("nudge", "dm", 2, False),
        ]
        kpis = server.http.get("/api/v1/recovery/kpis", headers=auth).json()
        assert kpis["cases"] == 1 and kpis["recovered"] == 1 and kpis["recovery_rate"] == 1.0
        assert kpis["recovered_revenue"] == 2500 and kpis["open_cases"] == 0
        assert kpis["median_seconds_to_recover"] is not None
        events = server.http.get("/admin/api/events", params={"limit": 500}, headers=ADMIN)
        whop_types = {e["type"] for e in events.json()["items"] if e["source"] == "whop"}
        assert {"payment.failed", "payment.succeeded", "membership.activated"} <= whop_types

        create_operator(server.runtime, "ops@example.com", "a long enough password")
        session = login(server.runtime, "ops@example.com", "a long enough password")
        server.http.cookies.set(COOKIE, session.token)
        page = server.http.get("/cockpit/recovery")
        assert page.status_code == 200 and "<svg" in page.text and "<script" not in page.text
        assert COMPANY in page.text and "100%" in page.text  # the recovery rate
        assert 'class="bar-recovered"' in page.text


def test_an_unrecovered_case_ends_in_cancellation(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, clock):
        auth = install(server, offsets_days=[1], channels=["dm"], attempts_before_cancel=1)
        membership_id = member(server, BOB)
        opened = fail_renewal(server, auth, membership_id)
        assert tick(server, clock, timedelta(days=1) + MINUTE).sent == 1
        assert tick(server, clock).closed == 0  # not yet past the last attempt
        report = tick(server, clock, timedelta(days=1))
        assert report.closed == 1
        assert tick(server, clock).closed == 0
        assert whop(server).membership(membership_id)["cancel_at_period_end"] is True
        detail = case(server, auth, opened["id"])
        assert detail["state"] == "cancelled"
        assert [a["kind"] for a in detail["actions"]] == ["nudge", "cancel"]
        assert detail["transitions"][-1]["cause"].startswith("tick")
        settle(server)  # Whop's cancel_at_period_end_changed is stored, and changes nothing
        assert case(server, auth, opened["id"])["state"] == "cancelled"


def test_a_membership_whop_ends_after_its_last_retry_expires_the_case(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, clock):
        auth = install(server, offsets_days=[1, 3, 7], attempts_before_cancel=3)
        membership_id = member(server, BOB)
        opened = fail_renewal(server, auth, membership_id)
        whop(server).renew(membership_id, False)  # a retry fails: still one case
        settle(server)
        assert len(cases(server, auth, membership_id=membership_id)) == 1
        whop(server).renew(membership_id, False, final=True)  # Whop gives up and cancels
        settle(server)
        detail = case(server, auth, opened["id"])
        assert detail["state"] == "expired" and detail["closed_at"] is not None
        assert {r["state"] for r in detail["reminders"]} == {"skipped"}
        assert tick(server, clock, timedelta(days=8)).sent == 0  # nothing goes to an ended member
        assert sent_to(server, BOB) == []


def test_a_tiny_time_box_still_sends_one_reminder_per_company_and_tick(
    db: tuple[str, str],
) -> None:
    with recovery_server(db, recovery_company_budget_seconds=0.001) as (server, clock):
        auth = install(server, offsets_days=[1], channels=["dm"], attempts_before_cancel=1)
        for user in (ADA, BOB):
            fail_renewal(server, auth, member(server, user))
        assert tick(server, clock, timedelta(days=1) + MINUTE).sent == 1  # the box is spent
        assert tick(server, clock).sent == 1  # the next tick carries on
        assert tick(server, clock).sent == 0
