"""Reconciliation against the call provider's records, end to end, both DBs: missed webhooks
billed once whatever the number of runs, pagination, provider errors, zero calls, unpriced."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.wallets_helpers import adjust, ledger_ok, new_tenant, scalar, server, wait, wallet
from tests.support import ADMIN, Server

__all__ = ["server"]
SERVER_SETTINGS = {"reconcile_page_size": 120}
PRICE = 49


def window(offset_days: int) -> tuple[datetime, datetime]:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=offset_days)
    return start, start + timedelta(days=1)


def run(server: Server, start: datetime, end: datetime) -> dict[str, Any]:
    r = server.http.post(
        "/admin/api/reconciliations",
        json={"provider": "vapi", "from": start.isoformat(), "to": end.isoformat()},
        headers=ADMIN,
    )
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]

    def done() -> bool:
        got = server.http.get(f"/admin/api/reconciliations/{run_id}", headers=ADMIN).json()
        return bool(got["status"] != "running")

    wait(done, 60)
    return dict(server.http.get(f"/admin/api/reconciliations/{run_id}", headers=ADMIN).json())


def place(server: Server, tenant: str, start: datetime, n: int, *, missed: int = 0) -> None:
    vapi = server.app.state.sandboxes.vapi
    for i in range(n):
        vapi.faults.miss_next = 1 if i < missed else 0
        vapi.place_call(tenant, 60, started=start + timedelta(seconds=30 * i))
    vapi.faults.miss_next = 0
    assert vapi.wait_delivered(30)
    server.wait_for(server.settled, 60)


def test_missed_calls_are_billed_once_over_pages_and_a_rerun_changes_nothing(
    server: Server,
) -> None:
    tenant = new_tenant(server)
    adjust(server, tenant, 100_000, "seed")
    start, end = window(0)
    place(server, tenant, start, 250, missed=160)  # 3 pages of 120; 160 webhooks never sent
    assert wallet(server, tenant)["balance"] == 100_000 - 90 * PRICE
    report = run(server, start, end)
    assert report["status"] == "completed" and report["pages"] == 3 and report["total"] == 250
    assert (report["calls_seen"], report["already_billed"], report["newly_billed"]) == (
        250,
        90,
        160,
    )
    assert report["amount_recovered"] == 160 * PRICE and report["unpriced"] == 0
    assert ledger_ok(server, tenant) == (100_000 - 250 * PRICE,) * 2
    gap = json.loads(
        scalar(
            server,
            "SELECT data FROM domain_events WHERE type = 'reconciliation.gap' AND data LIKE :r",
            r=f"%{report['id']}%",
        )
    )
    assert gap["newly_billed"] == 160 and gap["amount_recovered"] == 160 * PRICE
    again = run(server, start, end)
    assert (again["already_billed"], again["newly_billed"], again["amount_recovered"]) == (
        250,
        0,
        0,
    )
    assert ledger_ok(server, tenant) == (100_000 - 250 * PRICE,) * 2
    figures = server.http.get("/admin/api/billing/figures", headers=ADMIN).json()
    assert figures["calls_seen"] >= 500 and figures["gap_rate"] is not None


def test_zero_calls(server: Server) -> None:
    start, end = window(1)
    report = run(server, start, end)
    assert report["status"] == "completed" and report["calls_seen"] == 0
    assert report["newly_billed"] == 0 and report["pages"] == 1


def test_provider_errors_retry_then_fail_and_a_rerun_completes_without_double_debits(
    server: Server,
) -> None:
    tenant = new_tenant(server)
    start, end = window(2)
    place(server, tenant, start, 130, missed=130)  # every webhook missed
    vapi = server.app.state.sandboxes.vapi
    vapi.faults.fail_pages = 2  # two 500s: the page step retries and goes on
    report = run(server, start, end)
    assert report["status"] == "completed" and report["calls_seen"] == 130
    # 130 calls of 49p from an empty wallet: 10 fit in the 500p debt limit, 120 stay unpaid.
    assert (report["newly_billed"], report["unpaid"], report["amount_recovered"]) == (
        130,
        120,
        10 * PRICE,
    )
    balance_after_first = ledger_ok(server, tenant)
    vapi.faults.fail_pages = 100  # the provider is down: the run fails, with its reason
    failed = run(server, start, end)
    vapi.faults.fail_pages = 0
    assert failed["status"] == "failed" and "500" in failed["error"]
    rerun = run(server, start, end)
    assert rerun["status"] == "completed" and rerun["newly_billed"] == 0
    assert ledger_ok(server, tenant) == balance_after_first


def test_calls_that_cannot_be_priced_are_reported(server: Server) -> None:
    tenant = new_tenant(server)
    start, end = window(3)
    vapi = server.app.state.sandboxes.vapi
    vapi.place_call(None, 60, started=start + timedelta(minutes=1))  # no tenant: webhook fails
    vapi.place_call(tenant, None, started=start + timedelta(minutes=2))  # still in progress
    vapi.place_call("ten_gone", 60, started=start + timedelta(minutes=3))
    assert vapi.wait_delivered()
    report = run(server, start, end)
    assert report["calls_seen"] == 3 and report["unpriced"] == 3 and report["newly_billed"] == 0
    reasons = sorted(r["reason"] for r in json.loads(report["unpriced_sample"]))
    assert reasons == [
        "no tenant_id in metadata",
        "not ended or no duration",
        "unknown tenant ten_gone",
    ]
