"""A worker killed with SIGKILL inside a workflow step; another process (a new executor id)
takes the workflow over: finished steps are not run again, the interrupted one runs again."""

from __future__ import annotations

import os
import signal
import time

from tests.fault.test_worker_sigkill import start_worker
from tests.support import ADMIN, ROOT, Server, event, free_port, settings_for

PRODUCT = "tests.fault.workflow_product:product"


def test_dead_executor_workflows_are_resumed_elsewhere(db: tuple[str, str]) -> None:
    url, dbos_schema = db
    settings = settings_for(
        url,
        dbos_schema,
        port=free_port(),
        sandbox=False,
        inbox_workers=0,
        product=PRODUCT,
        executor_stale_seconds=2.0,
        run_workflows=False,
        executor_heartbeat_seconds=0.5,
    )
    env = os.environ | {
        "STEWARD_DATABASE_URL": url,
        "STEWARD_DBOS_SCHEMA": dbos_schema,
        "STEWARD_PRODUCT": PRODUCT,
        "STEWARD_APP_VERSION": settings.app_version,
        "STEWARD_SANDBOX": "false",
        "STEWARD_INBOX_POLL_SECONDS": "0.05",
        "STEWARD_EXECUTOR_STALE_SECONDS": "2",
        "STEWARD_EXECUTOR_HEARTBEAT_SECONDS": "0.5",
        "STEWARD_DOMAIN_QUEUE_POLL_SECONDS": "0.1",
        "PYTHONPATH": str(ROOT),
    }
    with Server(settings) as server:
        t = server.http.post(
            "/admin/api/tenants", json={"email": "w@example.com", "name": "W"}, headers=ADMIN
        ).json()

        def steps() -> list[str]:
            detail = server.http.get(f"/admin/api/tenants/{t['id']}", headers=ADMIN).json()
            return sorted(e["message"] for e in detail["timeline"] if e["kind"] == "step")

        # The test's own server only ingests (no inbox workers, no queued workflows), so only
        # the worker processes run the workflow.
        server.post_event(event("test.start", {"id": "o1", "tenant_id": t["id"]}))
        first = start_worker(env)
        deadline = time.monotonic() + 60
        while "two-start" not in steps():
            assert first.poll() is None and time.monotonic() < deadline, "step two never started"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = start_worker(env)
        try:
            server.wait_for(lambda: "three" in steps(), timeout=60)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        assert steps() == ["one", "three", "two-end", "two-start", "two-start"]
