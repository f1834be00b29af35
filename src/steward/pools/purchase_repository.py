"""Queries on pool purchases. Only this module touches the table."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from steward.errors import IllegalTransition, NotFound
from steward.pools.models import PURCHASE_TRANSITIONS, PoolPurchase, PurchaseStatus

P = cast(sa.Table, PoolPurchase.__table__)
COUNTED = (PurchaseStatus.CLAIMED.value, PurchaseStatus.BOUGHT.value)


def add(session: Session, purchase: PoolPurchase) -> PoolPurchase:
    session.add(purchase)
    session.flush()
    return purchase


def by_key(session: Session, key: str) -> PoolPurchase:
    found = session.execute(
        sa.select(PoolPurchase).where(PoolPurchase.key == key)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no pool purchase {key!r}")
    return found


def claimed(session: Session, pool: str) -> int:
    """Purchases decided but not finished: numbers on their way into the pool."""
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(P)
            .where(P.c.pool == pool, P.c.status == PurchaseStatus.CLAIMED.value)
        ).scalar_one()
    )


def count_since(session: Session, pool: str, since: datetime) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(P)
            .where(P.c.pool == pool, P.c.created_at >= since, P.c.status.in_(COUNTED))
        ).scalar_one()
    )


def transition(
    session: Session, key: str, target: PurchaseStatus, now: datetime, **values: Any
) -> None:
    """Guarded: IllegalTransition when the purchase has already ended."""
    sources = [s.value for s, targets in PURCHASE_TRANSITIONS.items() if target in targets]
    done = cast(
        CursorResult[Any],
        session.execute(
            sa.update(P)
            .where(P.c.key == key, P.c.status.in_(sources))
            .values(status=target.value, updated_at=now, **values)
        ),
    ).rowcount
    if not done:
        raise IllegalTransition(f"pool purchase {key} cannot become {target.value}")
    session.expire_all()


def for_pool(session: Session, pool: str) -> list[PoolPurchase]:
    return list(
        session.execute(
            sa.select(PoolPurchase).where(PoolPurchase.pool == pool).order_by(PoolPurchase.id)
        ).scalars()
    )
