"""Pool allocation is atomic on both databases: 50 concurrent takers, 40 items."""

from __future__ import annotations

import threading
from collections import Counter

import sqlalchemy as sa

from steward import migrate
from steward.bootstrap import build
from steward.events.bus import DomainEventBus
from steward.pools import service as pools
from steward.tenants import service as tenants
from tests.support import settings_for


def test_concurrent_allocation_never_gives_an_item_twice(db: tuple[str, str]) -> None:
    steward = build(settings_for(*db, sandbox=False))
    bus = DomainEventBus(steward.runtime.clock, "test")  # no subscribers: no durable engine needed
    migrate.up(steward.runtime.db)
    with steward.runtime.db.transaction() as session:
        pools.add(
            session,
            steward.runtime.clock,
            "numbers",
            [f"+4477009{i:05d}" for i in range(40)],
            low_watermark=5,
        )
        ids = [
            tenants.create(
                session,
                steward.runtime.product,
                steward.runtime.clock,
                tenants.NewTenant(email=f"p{i}@example.com", name="P"),
            ).id
            for i in range(50)
        ]
    got: dict[str, str | None] = {}
    barrier = threading.Barrier(50)

    def take(tenant_id: str) -> None:
        barrier.wait()
        with steward.runtime.db.transaction() as session:
            item = pools.allocate(
                session, steward.runtime.clock, bus, "numbers", tenant_id, f"run:{tenant_id}:number"
            )
            got[tenant_id] = item.value if item else None
        with steward.runtime.db.transaction() as session:  # the same holder again: the same item
            again = pools.allocate(
                session, steward.runtime.clock, bus, "numbers", tenant_id, f"run:{tenant_id}:number"
            )
            assert (again.value if again else None) == got[tenant_id] or got[tenant_id] is None

    threads = [threading.Thread(target=take, args=(t,)) for t in ids]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    values = [v for v in got.values() if v is not None]
    assert len(values) == 40 and len(set(values)) == 40
    assert sum(1 for v in got.values() if v is None) == 10
    with steward.runtime.db.read() as session:
        level = pools.level(session, "numbers")
        assert (level.free, level.total) == (0, 40)
        types = Counter(session.execute(sa.text("SELECT type FROM domain_events")).scalars())
    assert types["pool.low"] == 1  # crossing below the watermark once
    assert types["pool.empty"] >= 10  # each taker that found it empty (and the re-asks)
    holder = next(t for t in ids if got[t])
    with steward.runtime.db.transaction() as session:
        released = pools.release(session, "numbers", f"run:{holder}:number")
        assert released == got[holder]
        assert pools.level(session, "numbers").free == 1
    steward.runtime.db.dispose()
