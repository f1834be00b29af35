"""Queries on pools. Allocation is one atomic UPDATE: on PostgreSQL the free row is chosen with
``FOR UPDATE SKIP LOCKED``; SQLite's write transactions are serialised (``BEGIN IMMEDIATE``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.errors import NotFound
from steward.pools.models import Pool, PoolItem


@dataclass(frozen=True)
class Level:
    pool: str
    total: int
    free: int
    low_watermark: int


def get(session: Session, name: str, *, for_update: bool = False) -> Pool:
    """``for_update`` serialises allocations per pool, so level changes (the watermark
    crossing) are seen in order on PostgreSQL too."""
    pool = session.get(Pool, name, with_for_update=for_update or None)
    if pool is None:
        raise NotFound(f"no pool named {name!r}")
    return pool


def find(session: Session, name: str) -> Pool | None:
    return session.get(Pool, name)


def ensure(session: Session, name: str, low_watermark: int, at: datetime) -> Pool:
    pool = session.get(Pool, name)
    if pool is None:
        pool = Pool(name=name, low_watermark=low_watermark, created_at=at)
        session.add(pool)
        session.flush()
    return pool


def existing_values(session: Session, name: str, values: list[str]) -> set[str]:
    rows = session.execute(
        sa.select(PoolItem.value).where(PoolItem.pool == name, PoolItem.value.in_(values))
    ).scalars()
    return set(rows)


def add_items(session: Session, name: str, values: list[str], at: datetime) -> None:
    session.add_all(PoolItem(pool=name, value=v, created_at=at) for v in values)
    session.flush()


def held_by(session: Session, name: str, holder: str) -> PoolItem | None:
    return session.execute(
        sa.select(PoolItem).where(PoolItem.pool == name, PoolItem.holder == holder)
    ).scalar_one_or_none()


def take_free(
    session: Session, name: str, tenant_id: str, holder: str, at: datetime
) -> PoolItem | None:
    """Give one free item to ``tenant_id``; None when the pool is empty."""
    pick = (
        sa.select(PoolItem.id)
        .where(PoolItem.pool == name, PoolItem.tenant_id.is_(None))
        .order_by(PoolItem.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    row = session.execute(
        sa.update(PoolItem)
        .where(PoolItem.id == pick.scalar_subquery(), PoolItem.tenant_id.is_(None))
        .values(tenant_id=tenant_id, holder=holder, allocated_at=at)
        .returning(PoolItem.id)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    return session.get(PoolItem, row[0], populate_existing=True)


def release(session: Session, name: str, holder: str) -> PoolItem | None:
    item = held_by(session, name, holder)
    if item is None:
        return None
    item.tenant_id = None
    item.holder = None
    item.allocated_at = None
    session.flush()
    return item


def level(session: Session, name: str) -> Level:
    pool = get(session, name)
    total, free = session.execute(
        sa.select(
            sa.func.count(PoolItem.id),
            sa.func.count(PoolItem.id).filter(PoolItem.tenant_id.is_(None)),
        ).where(PoolItem.pool == name)
    ).one()
    return Level(name, int(total), int(free), pool.low_watermark)


def names(session: Session) -> list[str]:
    return list(session.execute(sa.select(Pool.name).order_by(Pool.name)).scalars())
