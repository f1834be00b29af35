"""JobRun's phone numbers end to end: clients pay through the Stripe sandbox and each is given
its own number from the pool; with the pool empty the next client waits (pool.empty raised)
until the operator adds numbers with ``steward pool add``; deprovisioning gives a number back."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import sqlalchemy as sa
from tests.conftest import db
from tests.e2e.subscription_support import pay, signup
from tests.support import ADMIN, ROOT, Server, free_port, settings_for

__all__ = ["db"]
PRODUCT = "examples.jobrun.product:product"


def cli(settings: Any, *args: str) -> str:
    env = os.environ | {
        "STEWARD_DATABASE_URL": settings.database_url,
        "STEWARD_DBOS_SCHEMA": settings.dbos_schema,
        "STEWARD_PRODUCT": PRODUCT,
        "STEWARD_APP_VERSION": settings.app_version,
        "STEWARD_SANDBOX": "false",
        "STEWARD_STRIPE_API_BASE": settings.stripe_api_base,
        "STEWARD_STRIPE_API_KEY": settings.stripe_api_key,
        "STEWARD_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [sys.executable, "-m", "steward", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def number_of(server: Server, auth: dict[str, str], state: str = "complete") -> str | None:
    def reached() -> bool:
        return bool(server.http.get("/api/v1/provisioning", headers=auth).json()["state"] == state)

    server.wait_for(reached, timeout=40)
    run = server.http.get("/api/v1/provisioning", headers=auth).json()["runs"][0]
    output = run["steps"][0]["output"] or {}
    return output.get("value")


def test_numbers_are_assigned_waited_for_and_released(db: tuple[str, str]) -> None:
    settings = settings_for(
        *db,
        port=free_port(),
        product=PRODUCT,
        domain_queue_poll_seconds=0.05,
        provisioning_wait_recheck_seconds=60,  # only the CLI's signal wakes the waiting run
    )
    with Server(settings) as server:
        r = server.http.post(
            "/admin/api/pools/numbers/items",
            headers=ADMIN,
            json={"values": ["+447700900001", "+447700900002"], "low_watermark": 2},
        )
        assert r.status_code == 200 and r.json()["free"] == 2, r.text
        clients = [signup(server, f"c{i}@jobrun.example", f"+44791112345{i}") for i in range(3)]
        for _, auth in clients:
            pay(server, auth, "standard")

        # the three runs race for two numbers: two complete, one waits (whichever lost)
        def states() -> list[str]:
            return [
                server.http.get("/api/v1/provisioning", headers=auth).json()["state"]
                for _, auth in clients
            ]

        server.wait_for(lambda: sorted(states()) == ["complete", "complete", "waiting"], 40)
        late = states().index("waiting")
        served = [c for i, c in enumerate(clients) if i != late]
        first, second = (number_of(server, auth) for _, auth in served)
        assert {first, second} == {"+447700900001", "+447700900002"}
        detail = server.http.get("/api/v1/provisioning", headers=clients[late][1]).json()
        assert detail["runs"][0]["waiting_on"] == "pool:numbers"
        assert "pool numbers is empty" in detail["reason"]
        with server.runtime.db.read() as s:
            raised = s.execute(
                sa.text("SELECT type FROM domain_events WHERE type LIKE 'pool.%' ORDER BY id")
            ).scalars()
            assert list(raised) == ["pool.low", "pool.empty"]

        out = cli(settings, "pool", "add", "numbers", "+447700900003", "+447700900004")
        assert "2 added" in out and "1 waiting run(s) woken" in out, out
        assert number_of(server, clients[late][1]) in ("+447700900003", "+447700900004")
        status = cli(settings, "pool", "status")
        assert "numbers" in status and "│ 1 " in status, status

        # deprovisioning (before a hard delete) gives the first client's number back
        r = server.http.post(f"/admin/api/tenants/{served[0][0]}/deprovision", headers=ADMIN)
        assert r.status_code == 202, r.text

        def released() -> bool:
            pools = server.http.get("/admin/api/pools", headers=ADMIN).json()
            return bool(pools[0]["free"] == 2)

        server.wait_for(released)
        with server.runtime.db.read() as s:
            held = dict(
                s.execute(
                    sa.text("SELECT value, tenant_id FROM pool_items WHERE tenant_id IS NOT NULL")
                ).all()
            )
        assert first not in held and held[second] == served[1][0]
        assert len(set(held.values())) == len(held) == 2  # no number given twice
