"""Auto-recharge through the Stripe sandbox, both DBs: declines, delayed and duplicated webhooks
never charge twice for one threshold crossing; the wallet is credited by the webhook, once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.e2e.wallets_helpers import adjust, ledger_ok, new_tenant, scalar, server, wait, wallet
from tests.support import ADMIN, Server

__all__ = ["server"]
SERVER_SETTINGS = {"recharge_max_per_day": 2, "recharge_backoff_seconds": 3600}


def setup_recharge(server: Server, tenant: str, card: str) -> str:
    customer = server.sandbox.store.create_customer(
        {"email": f"{tenant}@example.com"}, {"id": None, "idempotency_key": None}, emit=False
    )["id"]
    r = server.http.put(
        f"/admin/api/wallets/{tenant}/auto-recharge",
        json={"currency": "gbp", "threshold": 500, "amount": 2000,
              "stripe_customer_id": customer, "stripe_payment_method": card},
        headers=ADMIN,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return str(customer)


def use(server: Server, tenant: str, key: dict[str, str], n: int, prefix: str) -> None:
    for i in range(n):
        body = {"meter": "voice_minutes", "quantity": 240, "id": f"{prefix}-{i}"}  # 196p
        r = server.http.post("/api/v1/usage", json=body, headers=key)
        assert r.status_code in (200, 402), r.text


def api_key(server: Server, tenant: str) -> dict[str, str]:
    r = server.http.post(f"/admin/api/tenants/{tenant}/api-keys", headers=ADMIN)
    return {"Authorization": f"Bearer {r.json()['key']}"}


def charges(server: Server, customer: str) -> list[Any]:
    return [c for c in server.sandbox.payments.charges if c["customer"] == customer]


def recharges(server: Server, tenant: str) -> list[tuple[str, str]]:
    with server.runtime.db.read() as s:
        rows = s.execute(
            sa.text(
                "SELECT r.status, r.idempotency_key FROM wallet_recharges r JOIN wallets w "
                "ON w.id = r.wallet_id WHERE w.tenant_id = :t ORDER BY r.seq"
            ),
            {"t": tenant},
        ).all()
    return [(str(a), str(b)) for a, b in rows]


def test_one_crossing_one_charge_despite_delayed_and_duplicated_webhooks(server: Server) -> None:
    tenant = new_tenant(server)
    adjust(server, tenant, 1000, "seed")
    customer = setup_recharge(server, tenant, "pm_card_visa")
    server.sandbox.faults.duplicate, server.sandbox.faults.delay_ms = 3, 300
    try:
        use(server, tenant, api_key(server, tenant), 5, "a")  # 1000 -> 804 -> ... under 500
        wait(lambda: wallet(server, tenant)["auto_recharge"]["state"] == "idle"
             and len(charges(server, customer)) == 1
             and recharges(server, tenant)[0][0] == "succeeded", 30)  # fmt: skip
    finally:
        server.sandbox.faults.duplicate, server.sandbox.faults.delay_ms = 0, 0
    server.sandbox.wait_idle()
    server.wait_for(server.settled)
    assert len(charges(server, customer)) == 1
    rows = recharges(server, tenant)
    assert len(rows) == 1 and rows[0][1].endswith(":1")
    topups = [e for e in wallet(server, tenant)["entries"] if e["kind"] == "topup"]
    assert len(topups) == 1 and topups[0]["amount"] == 2000
    balance, total = ledger_ok(server, tenant)
    assert balance == total == 1000 - 5 * 196 + 2000


def test_a_decline_backs_off_and_never_charges(server: Server) -> None:
    tenant = new_tenant(server)
    adjust(server, tenant, 600, "seed")
    customer = setup_recharge(server, tenant, "pm_card_chargeDeclined")
    key = api_key(server, tenant)
    use(server, tenant, key, 1, "d")  # 600 -> 404: crosses 500
    wait(lambda: recharges(server, tenant) == [("declined", recharges(server, tenant)[0][1])])
    use(server, tenant, key, 2, "e")  # still under: backing off, no new attempt
    server.wait_for(server.settled)
    assert len(recharges(server, tenant)) == 1 and charges(server, customer) == []
    w = wallet(server, tenant)
    assert w["auto_recharge"]["backoff_until"] is not None and w["auto_recharge"]["state"] == "idle"
    assert [e["kind"] for e in w["entries"]].count("topup") == 0


def test_kill_switch_and_daily_cap_stop_recharges(server: Server) -> None:
    tenant = new_tenant(server)
    adjust(server, tenant, 600, "seed")
    customer = setup_recharge(server, tenant, "pm_card_visa")
    key = api_key(server, tenant)
    server.runtime.flags.set("auto_recharge", False, actor="test", reason="incident")
    try:
        use(server, tenant, key, 1, "k")
        assert recharges(server, tenant)[0][0] == "skipped"
    finally:
        server.runtime.flags.set("auto_recharge", True, actor="test", reason="over")
    with server.runtime.db.transaction() as s:  # end the skip's back-off
        s.execute(sa.text("UPDATE wallets SET recharge_backoff_until = NULL WHERE tenant_id = :t"),
                  {"t": tenant})  # fmt: skip
    for round_ in range(3):  # the cap is 2 a day: the third crossing is skipped
        use(server, tenant, key, 12, f"c{round_}")
        wait(lambda: wallet(server, tenant)["auto_recharge"]["state"] == "idle")
        server.wait_for(server.settled)
    statuses = [s for s, _ in recharges(server, tenant)]
    assert statuses.count("succeeded") == 2 and statuses[-1] == "skipped"
    assert len(charges(server, customer)) == 2
    assert scalar(server, "SELECT count(*) FROM wallet_recharges WHERE status = 'charging'") == 0
