"""Voxanne's launch test list (seed 003_166ac81b3cec5fa5), reproduced on SQLite and PostgreSQL
against the running server, the call-provider sandbox and the Stripe sandbox — no mocks.

Debt limit: column present; organization created; deduct within the limit; deduct beyond it
fails; balance unchanged after the refusal; exactly at the limit; one penny over.
Reconciliation: a date range; pagination over 100 calls; provider errors; zero calls; the
revenue recovered for 3 % missed webhooks at 10,000 calls a month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from tests.e2e.test_wallets_reconcile import run
from tests.e2e.wallets_helpers import adjust, ledger_ok, new_tenant, scalar, server, wallet
from tests.support import Server

from examples.voxanne.product import PENCE_PER_STARTED_MINUTE, product
from steward.wallets import usage
from steward.wallets.models import UsageRecord

__all__ = ["server"]
SERVER_SETTINGS = {"reconcile_page_size": 120}
METER = product.meters[0]


@pytest.fixture(scope="module")
def org(server: Server) -> str:
    return new_tenant(server, "Voxanne Org")


def test_1_debt_limit_column_exists(server: Server) -> None:
    with server.runtime.db.read() as s:
        columns = {c["name"] for c in sa.inspect(s.connection()).get_columns("wallets")}
    assert "debt_limit" in columns
    assert server.settings.wallet_default_debt_limit == 500


def test_2_create_organization_with_a_wallet(server: Server, org: str) -> None:
    assert adjust(server, org, 1000, "opening-credit").status_code == 200
    assert wallet(server, org)["balance"] == 1000 and wallet(server, org)["debt_limit"] == 500


def test_3_deduct_within_the_debt_limit_succeeds(server: Server, org: str) -> None:
    r = adjust(server, org, -1200, "deduct-within")  # 1000 -> -200
    assert r.status_code == 200 and r.json()["balance"] == -200


def test_4_and_5_deduct_beyond_the_limit_fails_and_the_balance_is_unchanged(
    server: Server, org: str
) -> None:
    r = adjust(server, org, -400, "deduct-beyond")  # -200 -> -600: past -500
    assert r.status_code == 402
    details = r.json()["error"]["details"]
    assert details == details | {"balance": -200, "amount": 400, "debt_limit": 500,
                                 "shortfall": 100}  # fmt: skip
    assert wallet(server, org)["balance"] == -200
    assert ledger_ok(server, org) == (-200, -200)


def test_6_deduct_to_exactly_the_debt_limit_succeeds(server: Server, org: str) -> None:
    r = adjust(server, org, -300, "deduct-exact")
    assert r.status_code == 200 and r.json()["balance"] == -500


def test_7_one_penny_over_the_limit_fails(server: Server, org: str) -> None:
    r = adjust(server, org, -1, "deduct-one-over")
    assert r.status_code == 402 and r.json()["error"]["details"]["shortfall"] == 1
    assert ledger_ok(server, org) == (-500, -500)


def _calls(server: Server, tenant: str, start: datetime, n: int, seconds: int = 150) -> list[Any]:
    vapi = server.app.state.sandboxes.vapi
    vapi.faults.miss_next = n
    placed = [vapi.place_call(tenant, seconds, started=start + timedelta(seconds=20 * i))
              for i in range(n)]  # fmt: skip
    vapi.faults.miss_next = 0
    return placed


def test_8_reconciliation_with_a_date_range(server: Server) -> None:
    tenant = new_tenant(server, "Range Org")
    adjust(server, tenant, 100_000, "seed")
    day = datetime(2026, 3, 10, tzinfo=UTC)
    _calls(server, tenant, day - timedelta(hours=1), 3)  # the day before: outside
    _calls(server, tenant, day + timedelta(hours=1), 5)  # inside
    _calls(server, tenant, day + timedelta(days=1, hours=1), 4)  # the day after: outside
    report = run(server, day, day + timedelta(days=1))
    assert report["calls_seen"] == 5 and report["newly_billed"] == 5


def test_9_pagination_over_100_calls(server: Server) -> None:
    tenant = new_tenant(server, "Paging Org")
    adjust(server, tenant, 1_000_000, "seed")
    day = datetime(2026, 3, 20, tzinfo=UTC)
    _calls(server, tenant, day, 250)  # pages of 120
    report = run(server, day, day + timedelta(days=1))
    assert report["pages"] == 3 and report["calls_seen"] == 250 and report["newly_billed"] == 250
    assert report["amount_recovered"] == 250 * 3 * PENCE_PER_STARTED_MINUTE


def test_10_provider_errors(server: Server) -> None:
    tenant = new_tenant(server, "Errors Org")
    day = datetime(2026, 3, 22, tzinfo=UTC)
    _calls(server, tenant, day, 2)
    vapi = server.app.state.sandboxes.vapi
    vapi.faults.fail_pages = 50
    try:
        failed = run(server, day, day + timedelta(days=1))
    finally:
        vapi.faults.fail_pages = 0
    assert failed["status"] == "failed" and "vapi: listing calls answered 500" in failed["error"]
    assert failed["newly_billed"] == 0
    assert run(server, day, day + timedelta(days=1))["newly_billed"] == 2


def test_11_zero_calls(server: Server) -> None:
    day = datetime(2026, 3, 24, tzinfo=UTC)
    report = run(server, day, day + timedelta(days=1))
    assert (report["status"], report["calls_seen"], report["newly_billed"]) == ("completed", 0, 0)


def test_12_revenue_recovered_for_3_percent_missed_webhooks_at_10000_calls_a_month(
    server: Server,
) -> None:
    tenant = new_tenant(server, "Busy Org")
    adjust(server, tenant, 10_000_000, "seed")
    month = datetime(2026, 4, 1, tzinfo=UTC)
    calls = _calls(server, tenant, month, 10_000)  # 150 s each: 3 started minutes, 147p
    steward = server.steward
    with steward.runtime.db.transaction() as session:  # 97 % arrived by webhook and were billed
        wallet_id = usage.service.wallet_for(steward.runtime, session, tenant, "gbp").id
        now = steward.runtime.clock.now()
        rows = [
            {"tenant_id": tenant, "wallet_id": wallet_id, "meter": METER.key,
             "external_id": call["id"], "quantity": 150, "amount": 147, "source": "webhook",
             "status": "paid", "created_at": now}
            for call in calls[300:]
        ]  # fmt: skip
        session.execute(sa.insert(UsageRecord), rows)
    report = run(server, month, month + timedelta(days=30))
    assert report["calls_seen"] == 10_000 and report["already_billed"] == 9_700
    assert report["newly_billed"] == 300
    assert report["amount_recovered"] == 300 * 147 == 44_100  # £441.00 a month recovered
    gaps = "SELECT count(*) FROM domain_events WHERE type = 'reconciliation.gap' AND data LIKE :r"
    assert scalar(server, gaps, r=f"%{report['id']}%") == 1
