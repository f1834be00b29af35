"""GivrWrld end to end: two customers pay through the Stripe sandbox; each gets a panel account
and a game server on the sandbox panel, which installs it and calls back (signed); each sees only
their own order on the status endpoint."""

from __future__ import annotations

from typing import Any

from tests.e2e.subscription_support import pay, signup
from tests.support import ADMIN, Server, free_port, settings_for

PRODUCT = "examples.givrwrld.product:product"


def own(server: Server, auth: dict[str, str], state: str) -> dict[str, Any]:
    def reached() -> bool:
        return bool(server.http.get("/api/v1/provisioning", headers=auth).json()["state"] == state)

    server.wait_for(reached, timeout=40)
    return dict(server.http.get("/api/v1/provisioning", headers=auth).json())


def test_two_customers_each_get_their_own_server(db: tuple[str, str]) -> None:
    settings = settings_for(
        *db,
        port=free_port(),
        product=PRODUCT,
        sandbox_panel_delay_seconds=0.5,
        domain_queue_poll_seconds=0.05,
    )
    with Server(settings) as server:
        panel = server.app.state.sandboxes.panel
        a, a_auth = signup(server, "ana@givrwrld.example")
        b, b_auth = signup(server, "ben@givrwrld.example")
        # Ben already has a panel account (he played on another server before)
        server.http.post(
            "/sandbox/panel/api/accounts", json={"email": "ben@givrwrld.example"}
        ).raise_for_status()
        assert panel.effects == {"account:ben@givrwrld.example": 1}
        panel.fail_next = 2  # the panel is briefly down: the next two writes answer 503
        pay(server, a_auth, "minecraft_4gb")
        pay(server, b_auth, "rust_8gb")

        mine = own(server, a_auth, "complete")
        theirs = own(server, b_auth, "complete")
        assert [r["tenant_id"] for r in mine["runs"]] == [a]
        assert [r["tenant_id"] for r in theirs["runs"]] == [b]
        a_steps = {s["name"]: s for s in mine["runs"][0]["steps"]}
        b_steps = {s["name"]: s for s in theirs["runs"][0]["steps"]}
        assert list(a_steps) == [
            "panel_account",
            "create_server",
            "wait_installed",
            "report_status",
        ]
        assert a_steps["panel_account"]["output"]["created"] is True
        assert b_steps["panel_account"]["output"]["created"] is False
        assert a_steps["report_status"]["output"]["status"] == "installed"
        assert a_steps["report_status"]["output"]["game"] == "minecraft"
        assert b_steps["report_status"]["output"]["game"] == "rust"
        a_server = a_steps["report_status"]["output"]["server_id"]
        assert a_server not in str(theirs)  # Ben never sees Ana's order
        # the outage was retried; each outside effect happened once
        # (wait_installed runs twice by design: it asks to wait, then reads the callback)
        assert a_steps["wait_installed"]["attempts"] == b_steps["wait_installed"]["attempts"] == 2
        calls = [s for s in [*a_steps.values(), *b_steps.values()] if s["name"] != "wait_installed"]
        assert sum(s["attempts"] for s in calls) - len(calls) == 2
        assert sorted(panel.effects.values()) == [1, 1, 1, 1]
        assert len(panel.servers) == 2
        assert [c["status"] for c in panel.callbacks] == [200, 200]


def test_a_forged_panel_callback_is_refused(db: tuple[str, str]) -> None:
    settings = settings_for(*db, port=free_port(), product=PRODUCT)
    with Server(settings) as server:
        body = b'{"type": "server.installed", "external_id": "prov:x:y:1:create_server"}'
        r = server.http.post(
            "/webhooks/panel",
            content=body,
            headers={"X-Panel-Signature": "t=1,v1=00", "Content-Type": "application/json"},
        )
        assert r.status_code in (400, 401), r.text
        r = server.http.post("/webhooks/panel", content=body)
        assert r.status_code in (400, 401), r.text
        assert server.http.get("/admin/api/provisioning", headers=ADMIN).json()["total"] == 0
