"""Provisioning runs end to end on the running server: retries, permanent failure and operator
retry from the failed step, deprovisioning in reverse, the kill switch, and the tenant's view."""

from __future__ import annotations

from typing import Any

from tests.e2e import provisioning_product as tp
from tests.support import ADMIN, Server, event, free_port, settings_for

PRODUCT = "tests.e2e.provisioning_product:product"


def make_server(db: tuple[str, str], **kw: Any) -> Server:
    return Server(
        settings_for(
            *db,
            port=free_port(),
            sandbox=False,
            product=PRODUCT,
            domain_queue_poll_seconds=0.05,
            **kw,
        )
    )


def new_tenant(server: Server, email: str, plan: str = "basic") -> str:
    r = server.http.post(
        "/admin/api/tenants", json={"email": email, "name": "T", "plan": plan}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def activate(server: Server, tenant_id: str, plan: str = "basic") -> None:
    ev = event("test.activate", {"id": f"o_{tenant_id}", "tenant_id": tenant_id, "plan": plan})
    assert server.post_event(ev).status_code == 200


def runs(server: Server, tenant_id: str) -> list[dict[str, Any]]:
    r = server.http.get("/admin/api/provisioning", params={"tenant": tenant_id}, headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def run_detail(server: Server, run_id: int) -> dict[str, Any]:
    r = server.http.get(f"/admin/api/provisioning/{run_id}", headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def wait_state(
    server: Server, tenant_id: str, state: str, kind: str = "provision", timeout: float = 30
) -> dict[str, Any]:
    def reached() -> bool:
        return any(r["state"] == state and r["kind"] == kind for r in runs(server, tenant_id))

    server.wait_for(reached, timeout=timeout)
    run = next(r for r in runs(server, tenant_id) if r["kind"] == kind)
    return run_detail(server, run["id"])


def test_retries_failure_operator_retry_and_deprovision(db: tuple[str, str]) -> None:
    with make_server(db) as server:
        ok, broken = new_tenant(server, "ok@example.com"), new_tenant(server, "b@example.com")
        tp.BROKEN.add(broken)
        activate(server, ok)
        activate(server, broken)
        activate(server, ok)  # a re-delivered activation (new event id) starts nothing new

        done = wait_state(server, ok, "complete")
        steps = {s["name"]: s for s in done["steps"]}
        assert [s["state"] for s in done["steps"]] == ["done"] * 4
        assert steps["flaky"]["attempts"] == tp.FLAKY_FAILURES + 1  # failed twice, then ok
        assert steps["flaky"]["output"] == {"calls": 3}
        assert done["key"] == f"prov:{ok}:basic:1" and done["workflow_id"] == done["key"]

        failed = wait_state(server, broken, "failed")
        assert "fragile failed permanently" in failed["reason"]
        assert "misconfigured" in failed["reason"]
        fsteps = {s["name"]: s for s in failed["steps"]}
        assert fsteps["fragile"]["state"] == "failed" and fsteps["last"]["state"] == "pending"
        calls_before = dict(tp.CALLS)

        # the operator fixes the cause and retries from the failed step
        tp.BROKEN.discard(broken)
        r = server.http.post(f"/admin/api/provisioning/{failed['id']}/retry", headers=ADMIN)
        assert r.status_code == 200, r.text
        assert r.json()["workflow_id"] == f"{failed['key']}:retry1"
        again = server.http.post(f"/admin/api/provisioning/{failed['id']}/retry", headers=ADMIN)
        assert again.status_code == 409
        retried = wait_state(server, broken, "complete")
        assert [s["state"] for s in retried["steps"]] == ["done"] * 4
        assert tp.CALLS[f"flaky:{broken}"] == calls_before[f"flaky:{broken}"]  # not re-run
        assert tp.CALLS[f"fragile:{broken}"] == calls_before[f"fragile:{broken}"] + 1
        assert len(runs(server, ok)) == 1

        # deprovisioning undoes in reverse order
        r = server.http.post(f"/admin/api/tenants/{ok}/deprovision", headers=ADMIN)
        assert r.status_code == 202, r.text
        undone = wait_state(server, ok, "complete", kind="deprovision")
        assert [s["name"] for s in undone["steps"]] == ["last", "fragile", "flaky", "seed"]
        assert [u for u in tp.UNDONE if u.startswith(ok)] == [
            f"{ok}:last",
            f"{ok}:fragile",
            f"{ok}:flaky",
        ]
        original = run_detail(server, done["id"])
        assert {s["state"] for s in original["steps"]} == {"undone"}

        # the tenant sees only its own runs
        token = server.http.post(f"/admin/api/tenants/{broken}/token", headers=ADMIN).json()
        mine = server.http.get(
            "/api/v1/provisioning", headers={"Authorization": f"Bearer {token['token']}"}
        )
        assert mine.status_code == 200, mine.text
        body = mine.json()
        assert body["state"] == "complete"
        assert {r["tenant_id"] for r in body["runs"]} == {broken}
        assert server.http.get("/api/v1/provisioning").status_code == 401
        bad = server.http.get("/admin/api/provisioning", params={"state": "bogus"}, headers=ADMIN)
        assert bad.status_code == 422


def test_kill_switch_makes_runs_wait_visibly(db: tuple[str, str]) -> None:
    with make_server(db, provisioning_switch_poll_seconds=0.2) as server:
        server.runtime.flags.set("provisioning", False, actor="test", reason="incident")
        t = new_tenant(server, "k@example.com")
        activate(server, t)
        waiting = wait_state(server, t, "waiting")
        assert waiting["waiting_on"] == "provisioning.switch"
        assert "kill switch" in waiting["reason"]
        assert all(s["state"] == "pending" for s in waiting["steps"])
        server.runtime.flags.set("provisioning", True, actor="test", reason="resolved")
        wait_state(server, t, "complete")


def test_fifty_runs_draw_from_a_pool_of_forty_then_waiters_are_released(
    db: tuple[str, str],
) -> None:
    with make_server(db, provisioning_wait_recheck_seconds=60) as server:
        r = server.http.post(
            "/admin/api/pools/numbers/items",
            headers=ADMIN,
            json={"values": [f"+4477009{i:05d}" for i in range(40)], "low_watermark": 5},
        )
        assert r.status_code == 200 and r.json()["free"] == 40, r.text
        tenants = [new_tenant(server, f"n{i}@example.com", "phone") for i in range(50)]
        for t in tenants:
            activate(server, t, "phone")

        def states() -> dict[str, int]:
            r = server.http.get("/admin/api/provisioning", params={"limit": 500}, headers=ADMIN)
            counts: dict[str, int] = {}
            for item in r.json()["items"]:
                counts[item["state"]] = counts.get(item["state"], 0) + 1
            return counts

        server.wait_for(lambda: states() == {"complete": 40, "waiting": 10}, timeout=90)
        waiting = server.http.get(
            "/admin/api/provisioning", params={"state": "waiting"}, headers=ADMIN
        ).json()["items"]
        assert {w["waiting_on"] for w in waiting} == {"pool:numbers"}
        assert all("numbers is empty" in w["reason"] for w in waiting)
        levels = server.http.get("/admin/api/pools", headers=ADMIN).json()
        assert levels == [
            {"pool": "numbers", "total": 40, "free": 0, "low_watermark": 5, "woken": 0}
        ]
        r = server.http.post(
            "/admin/api/pools/numbers/items",
            headers=ADMIN,
            json={"values": [f"+4477019{i:05d}" for i in range(12)]},
        )
        assert r.json()["woken"] == 10
        server.wait_for(lambda: states() == {"complete": 50}, timeout=60)
        with server.runtime.db.read() as s:
            import sqlalchemy as sa

            rows = s.execute(
                sa.text("SELECT value, tenant_id FROM pool_items WHERE tenant_id IS NOT NULL")
            ).all()
            types = s.execute(sa.text("SELECT type FROM domain_events")).scalars().all()
        assert len(rows) == 50 and len({v for v, _ in rows}) == 50
        assert {t for _, t in rows} == set(tenants)
        # below the watermark twice: 40 -> 0, then 12 added -> 2
        assert types.count("pool.low") == 2 and types.count("pool.empty") >= 10
