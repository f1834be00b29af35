"""Queries on orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.errors import IllegalTransition, NotFound
from steward.orders.models import TRANSITIONS, Order, OrderState


def add(session: Session, order: Order) -> Order:
    session.add(order)
    session.flush()
    return order


def get_own(session: Session, tenant_id: str, order_id: str) -> Order:
    """The order, only when the caller owns it (someone else's is as good as missing)."""
    found = session.execute(
        sa.select(Order).where(Order.id == order_id, Order.tenant_id == tenant_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no order {order_id}")
    return found


def find(session: Session, order_id: str) -> Order | None:
    return session.get(Order, order_id)


def of_tenant(session: Session, tenant_id: str, limit: int = 100) -> list[Order]:
    rows = session.execute(
        sa.select(Order)
        .where(Order.tenant_id == tenant_id)
        .order_by(Order.created_at, Order.id)
        .limit(limit)
    ).scalars()
    return list(rows)


def move(session: Session, order_id: str, to: OrderState, at: datetime, **values: Any) -> None:
    """The one guarded transition of an order."""
    allowed = [s for s, targets in TRANSITIONS.items() if to in targets]
    result = session.execute(
        sa.update(Order)
        .where(Order.id == order_id, Order.state.in_(allowed))
        .values(state=to, updated_at=at, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise IllegalTransition(f"order {order_id} cannot move to {to.value}")
