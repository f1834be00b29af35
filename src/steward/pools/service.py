"""Pool use cases: seed, allocate (idempotent per run step), release, levels.

Crossing below a pool's low watermark publishes ``pool.low``; a run that finds the pool empty
publishes ``pool.empty`` (both with the tenant and a reason) for the alerting domain."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from steward.errors import InvalidInput
from steward.events.bus import DomainEventBus
from steward.kit.clock import Clock
from steward.pools import repository as repo
from steward.pools.models import PoolItem


@dataclass(frozen=True)
class Added:
    pool: str
    added: int
    skipped: int  # values the pool already had
    free: int


def add(
    session: Session,
    clock: Clock,
    name: str,
    values: list[str],
    *,
    low_watermark: int | None = None,
    default_watermark: int = 5,
) -> Added:
    if not name or len(name) > 64:
        raise InvalidInput("pool: a name of 1 to 64 characters", field="pool")
    cleaned = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if any(len(v) > 200 for v in cleaned):
        raise InvalidInput("values: at most 200 characters each", field="values")
    now = clock.now()
    if low_watermark is not None and low_watermark < 0:
        raise InvalidInput("low_watermark: must not be negative", field="low_watermark")
    pool = repo.ensure(session, name, default_watermark, now)
    if low_watermark is not None:
        pool.low_watermark = low_watermark
    known = repo.existing_values(session, name, cleaned)
    fresh = [v for v in cleaned if v not in known]
    repo.add_items(session, name, fresh, now)
    return Added(name, len(fresh), len(cleaned) - len(fresh), repo.level(session, name).free)


def allocate(
    session: Session,
    clock: Clock,
    bus: DomainEventBus,
    name: str,
    tenant_id: str,
    holder: str,
) -> PoolItem | None:
    """The item ``holder`` already has, or a free one; None when the pool is empty."""
    repo.get(session, name, for_update=True)
    held = repo.held_by(session, name, holder)
    if held is not None:
        return held
    item = repo.take_free(session, name, tenant_id, holder, clock.now())
    level = repo.level(session, name)
    if item is None:
        bus.publish(
            session,
            "pool.empty",
            tenant_id=tenant_id,
            data={"pool": name, "total": level.total, "reason": f"pool {name} is empty"},
        )
        return None
    if level.free < level.low_watermark <= level.free + 1:
        bus.publish(
            session,
            "pool.low",
            tenant_id=tenant_id,
            data={
                "pool": name,
                "free": level.free,
                "total": level.total,
                "low_watermark": level.low_watermark,
                "reason": f"pool {name} has {level.free} free, below {level.low_watermark}",
            },
        )
    return item


def release(session: Session, name: str, holder: str) -> str | None:
    item = repo.release(session, name, holder)
    return item.value if item is not None else None


def level(session: Session, name: str) -> repo.Level:
    return repo.level(session, name)


def levels(session: Session) -> list[repo.Level]:
    return [repo.level(session, n) for n in repo.names(session)]
