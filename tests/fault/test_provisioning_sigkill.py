"""A worker killed with SIGKILL in the middle of each step of a run; another worker takes the run
over, and the run completes with each step's effect done once (each interrupted attempt ran again
exactly once).

Why the test is built this way:
- the test's own server runs no DBOS (``durable_engine=False``): DBOS 3.4 recovers a workflow by
  re-enqueueing it on its internal queue, which every launched process dequeues, even one started
  with ``listen_queues([])``; a DBOS-running server here would race the workers for the run and
  the SIGKILLs would miss the process doing the step;
- four workers (each its own executor id) are started at once and kept warm, and the one whose
  pid the running attempt recorded is the one killed; a live worker then claims the dead
  executor after ``STEWARD_EXECUTOR_STALE_SECONDS`` and resumes the run (src/steward/executors.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import sqlalchemy as sa

from tests.fault.test_worker_sigkill import start_worker
from tests.support import ADMIN, ROOT, Server, event, free_port, settings_for

PRODUCT = "tests.e2e.provisioning_product:product"


def test_sigkill_mid_step_then_takeover_completes_each_effect_once(db: tuple[str, str]) -> None:
    url, dbos_schema = db
    settings = settings_for(
        url,
        dbos_schema,
        port=free_port(),
        sandbox=False,
        inbox_workers=0,
        product=PRODUCT,
        durable_engine=False,
    )
    env = os.environ | {
        "STEWARD_DATABASE_URL": url,
        "STEWARD_DBOS_SCHEMA": dbos_schema,
        "STEWARD_PRODUCT": PRODUCT,
        "STEWARD_APP_VERSION": settings.app_version,
        "STEWARD_SANDBOX": "false",
        "STEWARD_INBOX_POLL_SECONDS": "0.05",
        "STEWARD_DOMAIN_QUEUE_POLL_SECONDS": "0.1",
        "STEWARD_EXECUTOR_STALE_SECONDS": "1.5",
        "STEWARD_EXECUTOR_HEARTBEAT_SECONDS": "0.3",
        "PYTHONPATH": str(ROOT),
    }
    with Server(settings) as server:

        def query(sql: str, **params: object) -> list[tuple[object, ...]]:
            with server.runtime.db.read() as s:
                return [tuple(r) for r in s.execute(sa.text(sql), params)]

        def attempts(step: str = "%") -> list[int]:
            """The pids of the processes that began an attempt of ``step``, in order."""
            rows = query(
                "SELECT data FROM provisioned_resources WHERE kind = 'attempt' AND name LIKE :n"
                " ORDER BY id",
                n=f"{step}:%",
            )
            return [int(json.loads(str(d))["pid"]) for (d,) in rows]

        def effects() -> int:
            return len(query("SELECT id FROM provisioned_resources WHERE kind = 'effect'"))

        workers: dict[int, subprocess.Popen[bytes]] = {}
        for _ in range(4):
            w = start_worker(env)
            workers[w.pid] = w
        try:
            deadline = time.monotonic() + 90
            while len(query("SELECT id FROM executors WHERE role = 'worker'")) < 4:
                assert time.monotonic() < deadline, "the workers did not start"
                assert all(w.poll() is None for w in workers.values())
                time.sleep(0.1)
            t = server.http.post(
                "/admin/api/tenants",
                headers=ADMIN,
                json={"email": "s@example.com", "name": "S", "plan": "slow"},
            ).json()
            server.post_event(
                event("test.activate", {"id": "o1", "tenant_id": t["id"], "plan": "slow"})
            )
            killed: list[int] = []
            for i in (1, 2, 3):
                deadline = time.monotonic() + 60
                while not attempts(f"s{i}"):  # step i has begun in some worker
                    assert time.monotonic() < deadline, f"s{i} never began"
                    time.sleep(0.02)
                pid = attempts(f"s{i}")[0]
                assert pid in workers and pid not in killed, (pid, killed)
                workers[pid].send_signal(signal.SIGKILL)
                workers[pid].wait(10)
                killed.append(pid)
                assert effects() == i - 1  # killed before step i's effect

            def state() -> str:
                r = server.http.get(
                    "/admin/api/provisioning", params={"tenant": t["id"]}, headers=ADMIN
                ).json()
                return str(r["items"][0]["state"]) if r["items"] else "none"

            server.wait_for(lambda: state() == "complete", timeout=90)
        finally:
            for w in workers.values():
                if w.poll() is None:
                    w.send_signal(signal.SIGTERM)
            for w in workers.values():
                w.wait(30)
        assert effects() == 3  # each step's effect once
        for i in (1, 2, 3):  # each step: the killed attempt, then exactly one more elsewhere
            pids = attempts(f"s{i}")
            assert len(pids) == 2 and pids[0] == killed[i - 1] and pids[1] not in killed[:i], pids
        assert os.getpid() not in attempts()
        run = server.http.get(
            "/admin/api/provisioning", params={"tenant": t["id"]}, headers=ADMIN
        ).json()["items"][0]
        detail = server.http.get(f"/admin/api/provisioning/{run['id']}", headers=ADMIN).json()
        assert [s["state"] for s in detail["steps"]] == ["done"] * 3
        assert [s["attempts"] for s in detail["steps"]] == [2, 2, 2]
