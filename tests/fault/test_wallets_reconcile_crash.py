"""``steward reconcile`` killed with SIGKILL mid-run, then started again on the same run: the
DBOS workflow resumes from its last page; every missed call is debited once, no page counted
twice. Both DBs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.e2e.wallets_helpers import VOXANNE, adjust, ledger_ok, new_tenant, voxanne_server
from tests.support import ROOT


def reconcile(env: dict[str, str], start: datetime, end: datetime) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "steward", "reconcile", "--provider", "vapi",
         "--from", start.isoformat(), "--to", end.isoformat(), "--run-id", "rec_crash"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_sigkill_mid_reconciliation_resumes_without_double_debits(db: tuple[str, str]) -> None:
    url, dbos_schema = db
    start = datetime(2026, 2, 1, tzinfo=UTC)
    end = start + timedelta(days=1)
    with voxanne_server(db) as server:
        tenant = new_tenant(server)
        adjust(server, tenant, 1_000_000, "seed")
        vapi = server.app.state.sandboxes.vapi
        vapi.faults.miss_next = 600  # every webhook is missed
        for i in range(600):
            vapi.place_call(tenant, 60, started=start + timedelta(seconds=60 * i))
        vapi.faults.page_delay_ms = 250  # 12 pages of 50: about 3 s
        env = os.environ | {
            "STEWARD_DATABASE_URL": url,
            "STEWARD_DBOS_SCHEMA": dbos_schema,
            "STEWARD_PRODUCT": VOXANNE,
            "STEWARD_APP_VERSION": "test",
            "STEWARD_SANDBOX": "false",
            "STEWARD_EXECUTOR_ID": "reconcile-crash-test",
            "STEWARD_VAPI_API_BASE": f"{server.base_url}/sandbox/vapi",
            "STEWARD_RECONCILE_PAGE_SIZE": "50",
            "STEWARD_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }

        def pages() -> int:
            with server.runtime.db.read() as s:
                value = s.execute(
                    sa.text("SELECT pages FROM reconciliation_runs WHERE id = 'rec_crash'")
                ).scalar_one_or_none()
            return int(value or 0)

        proc = reconcile(env, start, end)
        deadline = time.monotonic() + 90
        while pages() < 3:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed_at = pages()
        assert 3 <= killed_at < 12, "the kill must land mid-run"

        vapi.faults.page_delay_ms = 0
        proc = reconcile(env, start, end)
        out, errors = proc.communicate(timeout=120)
        assert proc.returncode == 0, errors.decode()[-2000:]
        assert b"newly billed" in out
        with server.runtime.db.read() as s:
            run = s.execute(
                sa.text(
                    "SELECT status, pages, calls_seen, newly_billed, already_billed "
                    "FROM reconciliation_runs WHERE id = 'rec_crash'"
                )
            ).one()
            entries = s.execute(
                sa.text("SELECT count(*), count(DISTINCT idempotency_key) FROM wallet_entries "
                        "WHERE kind = 'usage'")
            ).one()  # fmt: skip
        assert tuple(run) == ("completed", 12, 600, 600, 0)
        assert tuple(entries) == (600, 600)
        assert ledger_ok(server, tenant) == (1_000_000 - 600 * 49,) * 2
