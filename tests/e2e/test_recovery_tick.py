"""The reminder tick under trouble: a company whose provider keeps failing is skipped (its
breaker opens, an alert event is published) and retried half-open after its cool-down; the
``dunning`` kill switch pauses every send."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import sqlalchemy as sa

from steward.recovery.workflows import BREAKER_OPENED
from tests.e2e.recovery_support import (
    COMPANY,
    case,
    fail_renewal,
    install,
    member,
    recovery_server,
    sent_to,
    tick,
    whop,
)
from tests.support import ADMIN, ROOT

ADA, BOB = "user_ada0000000001", "user_bob0000000001"
DUE = timedelta(days=1, minutes=1)


def test_the_breaker_opens_on_failures_and_closes_half_open(db: tuple[str, str]) -> None:
    overrides = {"recovery_breaker_failures": 2, "recovery_breaker_cooldown_seconds": 600}
    with recovery_server(db, **overrides) as (server, clock):
        auth = install(server, offsets_days=[1, 5], channels=["dm"])
        first = fail_renewal(server, auth, member(server, ADA))
        fail_renewal(server, auth, member(server, BOB))
        whop(server).faults.update({"fail_next": 10_000})
        report = tick(server, clock, DUE)
        assert (report.sent, report.failed, report.skipped_companies) == (0, 2, [COMPANY])
        with server.runtime.db.read() as s:
            opened = s.execute(
                sa.text("SELECT count(*) FROM domain_events WHERE type = :t"), {"t": BREAKER_OPENED}
            ).scalar_one()
        assert opened == 1

        def alerted() -> bool:
            with server.runtime.db.read() as s:
                n = s.execute(
                    sa.text("SELECT count(*) FROM alerts WHERE rule = 'recovery_breaker'")
                )
                return bool(n.scalar_one())

        server.wait_for(alerted)  # an operator is told
        calls = whop(server).faults.fail_next
        report = tick(server, clock)  # open: the company is skipped without calling Whop
        assert (report.sent, report.failed, report.skipped_companies) == (0, 0, [COMPANY])
        assert whop(server).faults.fail_next == calls
        whop(server).faults.update({"fail_next": 0})
        assert tick(server, clock, timedelta(seconds=300)).skipped_companies == [COMPANY]
        half_open = tick(server, clock, timedelta(seconds=301))
        assert (half_open.sent, half_open.skipped_companies) == (1, [])  # one tried, closed
        assert tick(server, clock).sent == 1  # closed: the rest goes out
        assert sorted(sent_to(server, ADA) + sent_to(server, BOB)) == ["dm", "dm"]
        reminder = case(server, auth, first["id"])["reminders"][0]
        assert reminder["state"] == "sent" and reminder["tries"] == 2


def test_the_dunning_kill_switch_pauses_every_send(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, clock):
        auth = install(server, channels=["dm"])
        fail_renewal(server, auth, member(server, ADA))
        off = {"enabled": False, "reason": "incident"}
        assert server.http.put("/admin/api/flags/dunning", json=off, headers=ADMIN).is_success
        report = tick(server, clock, DUE)
        assert report.paused and sent_to(server, ADA) == []
        on = {"enabled": True, "reason": "resolved"}
        assert server.http.put("/admin/api/flags/dunning", json=on, headers=ADMIN).is_success
        assert tick(server, clock).sent == 1 and sent_to(server, ADA) == ["dm"]


def test_steward_recovery_tick_sends_what_is_due_from_the_command_line(
    db: tuple[str, str],
) -> None:
    url, dbos_schema = db
    with recovery_server(db) as (server, _clock):
        auth = install(server, offsets_days=[0], channels=["dm"], attempts_before_cancel=1)
        fail_renewal(server, auth, member(server, ADA))
        env = os.environ | {
            "STEWARD_DATABASE_URL": url,
            "STEWARD_DBOS_SCHEMA": dbos_schema,
            "STEWARD_SANDBOX": "false",
            "STEWARD_WHOP_API_BASE": f"{server.base_url}/sandbox/whop/api/v1",
            "STEWARD_WHOP_API_KEY": server.settings.whop_api_key,
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        }
        command = [sys.executable, "-m", "steward", "recovery", "tick"]
        for expected in ("sent 1,", "sent 0,"):  # due now (offset 0), then once only
            done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
            assert done.returncode == 0 and expected in done.stdout, done.stdout + done.stderr
        assert sent_to(server, ADA) == ["dm"]
