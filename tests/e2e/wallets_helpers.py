"""Helpers for the wallets tests: a Steward server with the Voxanne product and both sandboxes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support import ADMIN, Server, database, free_port, settings_for

VOXANNE = "examples.voxanne.product:product"


def voxanne_server(db: tuple[str, str], **overrides: Any) -> Server:
    values: dict[str, Any] = {"product": VOXANNE, "domain_queue_poll_seconds": 0.05}
    values.update(overrides)
    return Server(settings_for(*db, port=free_port(), **values))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server per module and database (starting DBOS on PostgreSQL is slow); every test
    works on tenants of its own. A module may set SERVER_SETTINGS."""
    overrides = getattr(request.module, "SERVER_SETTINGS", {})
    with (
        database(request.param, tmp_path_factory.mktemp("wallets")) as db,
        voxanne_server(db, **overrides) as srv,
    ):
        yield srv


def new_tenant(server: Server, name: str = "Acme Dental") -> str:
    r = server.http.post(
        "/admin/api/tenants",
        json={"email": f"{name[:4].lower()}@example.com", "name": name},
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def adjust(server: Server, tenant_id: str, amount: int, key: str) -> Any:
    return server.http.post(
        f"/admin/api/wallets/{tenant_id}/adjust",
        json={"amount": amount, "currency": "gbp", "reason": "test", "idempotency_key": key},
        headers=ADMIN,
    )


def wallet(server: Server, tenant_id: str) -> dict[str, Any]:
    """The tenant's one wallet; ``{}`` before it opens."""
    r = server.http.get(f"/admin/api/wallets/{tenant_id}", headers=ADMIN)
    assert r.status_code == 200, r.text
    wallets = r.json()["wallets"]
    assert len(wallets) <= 1
    return dict(wallets[0]) if wallets else {}


def scalar(server: Server, sql: str, **params: Any) -> Any:
    with server.runtime.db.read() as session:
        return session.execute(sa.text(sql), params).scalar_one()


def ledger_ok(server: Server, tenant_id: str) -> tuple[int, int]:
    """(balance, sum of the ledger) of the tenant's wallet."""
    balance = scalar(server, "SELECT balance FROM wallets WHERE tenant_id = :t", t=tenant_id)
    total = scalar(
        server,
        "SELECT coalesce(sum(e.amount), 0) FROM wallet_entries e JOIN wallets w "
        "ON w.id = e.wallet_id WHERE w.tenant_id = :t",
        t=tenant_id,
    )
    return int(balance), int(total)


def wait(predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")
