"""The hard delete of a tenant holding a pool number: refused until provisioning's deprovision
run has put the number back in the pool, then accepted, leaving no row of the tenant's behind.
(A module of its own: the durable engine is one per process, and the other alerts modules keep
one server per module.)"""

from __future__ import annotations

from tests.integration.alerts_world import NEVER, leftovers
from tests.support import ADMIN, Server, event, free_port, settings_for

POOL_PRODUCT = "tests.integration.pool_delete_product:product"


def test_delete_waits_for_the_pool_number_to_go_back_then_leaves_nothing(
    db: tuple[str, str],
) -> None:
    settings = settings_for(
        *db,
        port=free_port(),
        sandbox=False,
        product=POOL_PRODUCT,
        domain_queue_poll_seconds=0.05,
        alert_sweep_cron=NEVER,
    )
    with Server(settings) as server:
        r = server.http.post(
            "/admin/api/pools/numbers/items",
            headers=ADMIN,
            json={"values": ["+447700900001", "+447700900002"]},
        )
        assert r.status_code == 200, r.text
        tid = server.http.post(
            "/admin/api/tenants",
            headers=ADMIN,
            json={"email": "f@example.com", "name": "Fay Fixes"},
        ).json()["id"]
        server.post_event(event("test.activate", {"id": "o1", "tenant_id": tid}))

        def free() -> int:
            levels = server.http.get("/admin/api/pools", headers=ADMIN).json()
            return int(next(p for p in levels if p["pool"] == "numbers")["free"])

        server.wait_for(lambda: free() == 1, timeout=30)
        server.http.patch(f"/admin/api/tenants/{tid}/mute-alerts", json={}, headers=ADMIN)
        refused = server.http.request(
            "DELETE", f"/admin/api/tenants/{tid}", params={"confirm": "Fay Fixes"}, headers=ADMIN
        )
        assert refused.status_code == 409
        assert [f["check"] for f in refused.json()["error"]["details"]["failed"]] == [
            "deprovisioned"
        ]
        r = server.http.post(f"/admin/api/tenants/{tid}/deprovision", headers=ADMIN)
        assert r.status_code == 202, r.text
        server.wait_for(lambda: free() == 2, timeout=30)
        r = server.http.request(
            "DELETE", f"/admin/api/tenants/{tid}", params={"confirm": "Fay Fixes"}, headers=ADMIN
        )
        assert r.status_code == 200, r.text
        assert free() == 2  # the number is back in the pool
        assert leftovers(server, tid) == {}
