"""Two recovery worker processes share the due reminders; one is killed with SIGKILL mid-send.
Every reminder still goes out exactly once: claims keep the workers apart, the survivor retakes
the dead one's stale claim, and the idempotency key makes its re-send a replay at Whop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

import sqlalchemy as sa

from steward.bootstrap import build
from steward.kit.clock import Clock
from tests.e2e.recovery_support import fail_renewal, install, member, whop
from tests.support import ROOT, Server, free_port, settings_for

MEMBERS = 12


def test_a_killed_worker_neither_loses_nor_doubles_a_reminder(db: tuple[str, str]) -> None:
    url, dbos_schema = db
    settings = settings_for(url, dbos_schema, port=free_port(), recovery_tick_cron="0 0 0 1 1 *")
    with Server(settings, build(settings, clock=Clock())) as server:
        auth = install(server, offsets_days=[0], channels=["dm"], attempts_before_cancel=1)
        users = [f"user_m{i:02d}0000000001" for i in range(MEMBERS)]
        for user in users:
            fail_renewal(server, auth, member(server, user))
        whop(server).faults.update({"delay_ms": 150})  # sends take a while: the kill lands mid-way
        env = os.environ | {
            "STEWARD_DATABASE_URL": url,
            "STEWARD_DBOS_SCHEMA": dbos_schema,
            "STEWARD_SANDBOX": "false",
            "STEWARD_WHOP_API_BASE": f"{server.base_url}/sandbox/whop/api/v1",
            "STEWARD_WHOP_API_KEY": settings.whop_api_key,
            "STEWARD_RECOVERY_CLAIM_STALE_SECONDS": "3",
            "STEWARD_LOG_LEVEL": "WARNING",
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        }
        command = [sys.executable, "-m", "tests.fault.recovery_ticker"]
        workers = [
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
            for _ in range(2)
        ]  # fmt: skip
        server.wait_for(lambda: len(whop(server).sent) >= 2, timeout=60)
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(10)
        _, err = workers[1].communicate(timeout=120)
        assert workers[1].returncode == 0, err.decode()[-2000:]
        per_user = Counter(u for s in whop(server).sent if s.kind == "dm" for u in s.user_ids)
        assert per_user == dict.fromkeys(users, 1)  # every member once, none twice
        with server.runtime.db.read() as session:
            states = dict(
                session.execute(
                    sa.text("SELECT state, count(*) FROM recovery_reminders GROUP BY state")
                ).all()
            )
            actions = session.execute(sa.text("SELECT count(*) FROM recovery_actions")).scalar_one()
        assert states == {"sent": MEMBERS} and actions == MEMBERS
