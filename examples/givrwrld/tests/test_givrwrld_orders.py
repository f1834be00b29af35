"""GivrWrld's orders: the panel account is made at signup; one customer buys two servers, each an
order with its own checkout, run and server; cancelling one deprovisions that server only; each
customer lists only their own orders."""

from __future__ import annotations

from typing import Any

from tests.e2e.signup_support import bearer, links, start
from tests.support import Server, free_port, settings_for

PRODUCT = "examples.givrwrld.product:product"


def orders(server: Server, auth: dict[str, str]) -> list[dict[str, Any]]:
    r = server.http.get("/api/v1/orders", headers=auth)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def buy(server: Server, auth: dict[str, str], plan: str) -> dict[str, Any]:
    r = server.http.post("/api/v1/orders", json={"plan": plan}, headers=auth)
    assert r.status_code == 201, r.text
    order = r.json()
    session_id = order["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    server.sandbox.complete_checkout(session_id)
    assert server.sandbox.wait_idle(15)
    return dict(order)


def signed_in(server: Server, email: str) -> dict[str, str]:
    """Sign up, open the emailed link (a session), mint a tenant API token from it."""
    assert start(server, "Player", email).status_code == 201
    r = server.http.post(
        "/public/auth/link", json={"email": email}
    )  # a sign-in link before verifying: a session, but no purchase yet
    assert r.status_code == 202
    sign_in = links(server, email, "Sign in")[0]
    assert server.http.post("/public/auth/redeem", json={"token": sign_in}).status_code == 200
    auth = bearer(server.http.post("/api/v1/token").json()["token"])
    refused = server.http.post("/api/v1/orders", json={"plan": "rust_8gb"}, headers=auth)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "email_not_verified"
    verify_link = links(server, email, "Confirm your email")[0]
    assert server.http.post("/public/auth/redeem", json={"token": verify_link}).status_code == 200
    r = server.http.post("/api/v1/token")
    assert r.status_code == 201, r.text
    server.http.cookies.clear()
    return bearer(r.json()["token"])


def test_two_servers_for_one_customer_and_cancelling_one(db: tuple[str, str]) -> None:
    settings = settings_for(
        *db,
        port=free_port(),
        product=PRODUCT,
        sandbox_panel_delay_seconds=0.3,
        domain_queue_poll_seconds=0.05,
    )
    with Server(settings) as server:
        panel = server.app.state.sandboxes.panel
        ana = signed_in(server, "ana@givrwrld.example")
        server.wait_for(lambda: "account:ana@givrwrld.example" in panel.effects)
        ben = signed_in(server, "ben@givrwrld.example")

        first = buy(server, ana, "minecraft_4gb")
        second = buy(server, ana, "rust_8gb")
        buy(server, ben, "rust_8gb")

        def all_complete(auth: dict[str, str], n: int) -> bool:
            mine = orders(server, auth)
            return len(mine) == n and all(o["provisioning"] == "complete" for o in mine)

        server.wait_for(lambda: all_complete(ana, 2), timeout=40)
        server.wait_for(lambda: all_complete(ben, 1), timeout=40)
        servers = {s["id"]: s for s in panel.servers.values()}
        assert len(servers) == 3
        assert panel.effects["account:ana@givrwrld.example"] == 1  # made at signup, found after
        assert [o["id"] for o in orders(server, ana)] == [first["id"], second["id"]]
        assert len(orders(server, ben)) == 1

        # nobody cancels someone else's order
        r = server.http.post(f"/api/v1/orders/{first['id']}/cancel", headers=ben)
        assert r.status_code == 404
        r = server.http.post(f"/api/v1/orders/{first['id']}/cancel", headers=ana)
        assert r.status_code == 200 and r.json()["state"] == "canceled", r.text

        def undone() -> bool:
            mine = {o["id"]: o for o in orders(server, ana)}
            return bool(mine[first["id"]]["provisioning"] == "deprovision complete")

        server.wait_for(undone, timeout=30)
        statuses = sorted(s["status"] for s in panel.servers.values())
        assert statuses == ["deleted", "installed", "installed"]
        mine = {o["id"]: o for o in orders(server, ana)}
        assert mine[second["id"]]["state"] == "paid"
        assert mine[second["id"]]["provisioning"] == "complete"
