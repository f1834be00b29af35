"""The pool refill workflow: one per ``pool.low`` / ``pool.empty`` domain event; a step that
claims the purchases, one retried step per number, then the waiting runs are woken."""

from __future__ import annotations

import json

from dbos import DBOS

from steward.events import repository as events_repo
from steward.pools import replenish
from steward.provisioning import workflows as provisioning
from steward.runtime import current


@DBOS.workflow(name="steward.pools.replenish")
def replenish_workflow(domain_event_id: int) -> list[str]:
    pool, keys = plan_step(domain_event_id)
    done = [buy_step(key) for key in keys]
    if keys:
        wake_step(pool)
    return done


@DBOS.step(name="steward.pools.plan_purchases")
def plan_step(domain_event_id: int) -> tuple[str, list[str]]:
    runtime = current()
    with runtime.db.read() as session:
        pool = str(json.loads(events_repo.get(session, domain_event_id).data)["pool"])
    return pool, replenish.plan(runtime, pool, f"e{domain_event_id}")


@DBOS.step(
    name="steward.pools.buy_number",
    retries_allowed=True,
    max_attempts=5,
    interval_seconds=1.0,
    backoff_rate=2.0,
)
def buy_step(key: str) -> str:
    return replenish.buy(current(), key)


@DBOS.step(name="steward.pools.wake")
def wake_step(pool: str) -> int:
    return provisioning.notify(current(), f"pool:{pool}")
