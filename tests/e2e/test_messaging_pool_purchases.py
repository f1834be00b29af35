"""Refilling JobRun's number pool from Twilio, both DBs, the Twilio sandbox as the peer: below
its watermark the pool buys up to it, the new numbers' webhooks point at Steward (a handset's text
to one is stored), a re-run buys nothing more; the daily cap and the kill switch hold; an empty
pool alerts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from steward.alerts import repository as alerts_repo
from steward.pools import replenish, workflows
from steward.pools import service as pools
from tests.e2e.messaging_helpers import clean_faults, events, handset, server, twilio, wait
from tests.support import ADMIN, Server

__all__ = ["clean_faults", "server"]
SERVER_SETTINGS = {
    "pool_purchases": True,
    "pool_purchase_pools": "numbers,capped",
    "pool_purchase_max_per_day": 3,
}


def seed(server: Server, pool: str, values: list[str], watermark: int) -> None:
    r = server.http.post(
        f"/admin/api/pools/{pool}/items",
        json={"values": values, "low_watermark": watermark},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text


def take(server: Server, pool: str, tenant: str) -> str | None:
    rt = server.runtime
    with rt.db.transaction() as s:
        item = pools.allocate(s, rt.clock, rt.bus, pool, tenant, f"test:{pool}:{tenant}")
        return item.value if item is not None else None


def bought(server: Server, pool: str) -> list[Any]:
    with server.runtime.db.read() as s:
        return list(
            s.execute(
                sa.text("SELECT status, phone_number, key FROM pool_purchases WHERE pool = :p "
                        "ORDER BY id"), {"p": pool},
            ).all()
        )  # fmt: skip


def level(server: Server, pool: str) -> tuple[int, int]:
    with server.runtime.db.read() as s:
        lv = pools.level(s, pool)
    return lv.free, lv.total


def test_a_low_pool_buys_up_to_its_watermark_once(server: Server) -> None:
    seed(server, "numbers", ["+15005550001", "+15005550002", "+15005550003"], 3)
    assert take(server, "numbers", "ten_a") == "+15005550001"  # 2 free < 3: pool.low
    wait(lambda: [r[0] for r in bought(server, "numbers")] == ["bought"])
    wait(lambda: level(server, "numbers") == (3, 4))
    _, number, key = bought(server, "numbers")[0]
    owned = [n for n in twilio(server).store.numbers.values() if n["phone_number"] == number]
    assert len(owned) == 1 and owned[0]["friendly_name"] == key
    assert owned[0]["sms_url"] == f"{server.base_url}/webhooks/twilio/sms"
    assert owned[0]["voice_url"] == f"{server.base_url}/webhooks/twilio/voice"
    # The buy step again (a re-run DBOS never recorded): the number is found, none bought.
    with server.runtime.db.transaction() as s:
        s.execute(sa.text("UPDATE pool_purchases SET status = 'claimed' WHERE key = :k"),
                  {"k": key})  # fmt: skip
    assert workflows.buy_step(key) == "bought"
    assert len([n for n in twilio(server).store.numbers.values()
                if n["friendly_name"].startswith("buy:numbers")]) == 1  # fmt: skip
    assert level(server, "numbers") == (3, 4)
    # The bought number is live: a handset's text to it reaches Steward's inbox.
    sid = twilio(server).text(handset(), number, "hello")["sid"]
    wait(lambda: any(e["external_id"] == sid for e in events(server, source="twilio")))
    # Released, it stops pointing at Steward.
    assert replenish.release_webhooks(server.runtime, number)
    after = twilio(server).store.owned(number)
    assert after is not None and (after["sms_url"], after["voice_url"]) == ("", "")


def test_the_daily_cap_and_the_kill_switch_hold_and_an_empty_pool_alerts(server: Server) -> None:
    rt = server.runtime
    rt.flags.set("number_purchases", False, actor="test", reason="incident")
    try:
        seed(server, "capped", ["+15005550101"], 5)
        assert take(server, "capped", "ten_b") == "+15005550101"
        assert take(server, "capped", "ten_c") is None  # empty: pool.empty
        wait(lambda: any(a.rule == "pool_empty" for a in open_alerts(server)))
        server.wait_for(server.settled)
        assert bought(server, "capped") == []
    finally:
        rt.flags.set("number_purchases", True, actor="test", reason="over")
    assert take(server, "capped", "ten_d") is None  # empty again, purchases allowed now
    wait(lambda: [r[0] for r in bought(server, "capped")] == ["bought"] * 3, 30)
    assert level(server, "capped") == (3, 4)  # needed 5, the day allows 3
    assert take(server, "capped", "ten_e") is not None  # 2 free, still low: the cap holds
    server.wait_for(server.settled)
    assert len(bought(server, "capped")) == 3


def open_alerts(server: Server) -> list[Any]:
    with server.runtime.db.read() as s:
        rows, _ = alerts_repo.search(s, alerts_repo.AlertFilter(None, None, None, None, None))
        return list(rows)
