"""Churn Saver's whole story on the sandboxes, on SQLite and PostgreSQL: a company installs the
app, a member's renewal fails at Whop, reminders go out at the company's offsets (push and DM
through the official SDK to the Whop sandbox), the company looks at its dashboard from inside
Whop (x-whop-user-token) and nudges by hand, the member pays, the KPIs show the recovery; a
second member never pays and is cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.e2e.recovery_support import (
    COMPANY,
    WHOP_COMPANY,
    case,
    fail_renewal,
    install,
    member,
    recovery_server,
    sent_to,
    settle,
    tick,
    whop,
)

from examples.churnsaver.product import product

ADA, BOB, OWNER = "user_ada0000000001", "user_bob0000000001", "user_owner00000001"


def test_the_churn_saver_story(db: tuple[str, str]) -> None:
    with recovery_server(db, product=product) as (server, clock):
        install(server, offsets_days=[1, 3, 7], attempts_before_cancel=3, incentive_days=7)
        token = whop(server).tokens.mint(OWNER, server.settings.whop_app_id,
                                         company_id=WHOP_COMPANY)  # fmt: skip
        inside = {"x-whop-user-token": token}  # the dashboard, embedded in Whop
        ada, bob = member(server, ADA), member(server, BOB)
        ada_case = fail_renewal(server, inside, ada)
        bob_case = fail_renewal(server, inside, bob)

        opened = datetime.fromisoformat(str(ada_case["opened_at"]))
        for days in (1, 3, 7):  # each reminder a minute after its day begins, once
            clock.advance(opened + timedelta(days=days) - timedelta(seconds=30) - clock.now())
            assert tick(server, clock).sent == 0  # not before it is due
            assert tick(server, clock, timedelta(minutes=1)).sent == 2  # Ada's and Bob's
            assert tick(server, clock).sent == 0  # and never twice
        assert sent_to(server, ADA).count("dm") == 3 and sent_to(server, ADA).count("push") == 3

        r = server.http.post(f"/api/v1/recovery/cases/{ada_case['id']}/nudge",
                             json={"channel": "dm"}, headers=inside)  # fmt: skip
        assert r.status_code == 200, r.text
        whop(server).renew(ada, True)
        settle(server)
        assert case(server, inside, ada_case["id"])["state"] == "recovered"

        tick(server, clock, timedelta(days=1))  # Bob: past his last attempt
        assert case(server, inside, bob_case["id"])["state"] == "cancelled"
        assert whop(server).membership(bob)["cancel_at_period_end"] is True

        kpis = server.http.get("/api/v1/recovery/dashboard/kpis", headers=inside).json()
        assert kpis["company_id"] == COMPANY and kpis["cases"] == 2
        assert kpis["recovered"] == 1 and kpis["recovery_rate"] == 0.5
        assert kpis["recovered_revenue"] == 2500 and kpis["open_cases"] == 0
        kinds = [a["kind"] for a in case(server, inside, ada_case["id"])["actions"]]
        assert kinds == ["incentive"] + ["nudge"] * 7  # 3 reminders x 2 channels + 1 manual
