"""A worker killed with SIGKILL while it processes, then restarted: every event applied once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import sqlalchemy as sa

from tests.support import ADMIN, ROOT, Server, event, free_port, settings_for


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "steward", "worker", "--threads", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_sigkill_mid_processing_applies_every_event_exactly_once(db: tuple[str, str]) -> None:
    url, dbos_schema = db
    product = "tests.fault.slow_product:product"
    settings = settings_for(
        url, dbos_schema, port=free_port(), sandbox=False, inbox_workers=0, product=product
    )
    env = os.environ | {
        "STEWARD_DATABASE_URL": url,
        "STEWARD_DBOS_SCHEMA": dbos_schema,
        "STEWARD_PRODUCT": product,
        "STEWARD_INBOX_POLL_SECONDS": "0.05",
        "STEWARD_APP_VERSION": settings.app_version,
        "STEWARD_SANDBOX": "false",
        "PYTHONPATH": str(ROOT),
    }
    with Server(settings) as server:
        r = server.http.post(
            "/admin/api/tenants", json={"email": "k@example.com", "name": "Kill"}, headers=ADMIN
        )
        tenant_id = r.json()["id"]
        sent = [event("test.slow", {"id": f"obj_{i}", "tenant_id": tenant_id}) for i in range(30)]
        for ev in sent:
            assert server.post_event(ev).status_code == 200

        def processed() -> int:
            with server.runtime.db.read() as s:
                return int(
                    s.execute(
                        sa.text("SELECT count(*) FROM inbound_events WHERE status = 'processed'")
                    ).scalar_one()
                )

        worker = start_worker(env)
        deadline = time.monotonic() + 60
        while processed() < 5:
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker processed nothing"
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        killed_at = processed()
        assert 5 <= killed_at < 30, "the kill must land mid-way"

        worker = start_worker(env)
        try:
            server.wait_for(lambda: processed() == 30, timeout=90)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)

        with server.runtime.db.read() as s:
            effects: list[Any] = s.execute(
                sa.text(
                    "SELECT message, count(*) FROM tenant_timeline WHERE kind = 'effect' "
                    "GROUP BY message"
                )
            ).all()
            attempts = (
                s.execute(sa.text("SELECT DISTINCT attempts FROM inbound_events")).scalars().all()
            )
        assert sorted(m for m, _ in effects) == sorted(ev["id"] for ev in sent)
        assert {n for _, n in effects} == {1}, "an effect was applied twice"
        assert list(attempts) == [1], "an event was counted as attempted more than once"
