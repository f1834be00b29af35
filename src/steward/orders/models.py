"""An order: one purchase, with its own checkout and its own provisioning run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime


class OrderState(StrEnum):
    CHECKOUT_OPEN = "checkout_open"  # waiting for the customer to pay
    PAID = "paid"  # paid: its provisioning run is open (see the run for progress)
    CANCELED = "canceled"  # cancelled by the customer: its run's steps are undone


TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    OrderState.CHECKOUT_OPEN: frozenset({OrderState.PAID, OrderState.CANCELED}),
    OrderState.PAID: frozenset({OrderState.CANCELED}),
    OrderState.CANCELED: frozenset(),
}


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_tenant", "tenant_id", "created_at"),
        sa.UniqueConstraint("checkout_session_id", name="uq_orders_checkout"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    plan: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[OrderState] = mapped_column(
        sa.Enum(
            OrderState, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        )
    )
    checkout_session_id: Mapped[str | None] = mapped_column(sa.String(255))
    checkout_url: Mapped[str | None] = mapped_column(sa.Text)
    run_key: Mapped[str | None] = mapped_column(sa.String(200))  # its provisioning run
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why it last changed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
