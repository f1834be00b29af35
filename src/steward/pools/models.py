"""A pool and its items; an item is held by at most one (tenant, run step) at a time."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class Pool(Base):
    __tablename__ = "pools"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    low_watermark: Mapped[int] = mapped_column(sa.Integer)  # pool.low when free drops below
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PoolItem(Base):
    __tablename__ = "pool_items"
    __table_args__ = (
        sa.UniqueConstraint("pool", "value", name="uq_pool_items_value"),
        sa.UniqueConstraint("pool", "holder", name="uq_pool_items_holder"),
        sa.Index("ix_pool_items_free", "pool", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    pool: Mapped[str] = mapped_column(sa.ForeignKey("pools.name", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(sa.String(200))
    tenant_id: Mapped[str | None] = mapped_column(sa.String(40))  # NULL: free
    holder: Mapped[str | None] = mapped_column(sa.String(300))  # the step's idempotency key
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PurchaseStatus(StrEnum):
    CLAIMED = "claimed"  # decided, Twilio not (known to be) called yet: look before buying
    BOUGHT = "bought"  # owned, webhooks set, in the pool
    FAILED = "failed"  # Twilio refused or had nothing to sell; nothing was bought


PURCHASE_TRANSITIONS: dict[PurchaseStatus, frozenset[PurchaseStatus]] = {
    PurchaseStatus.CLAIMED: frozenset({PurchaseStatus.BOUGHT, PurchaseStatus.FAILED}),
    PurchaseStatus.BOUGHT: frozenset(),
    PurchaseStatus.FAILED: frozenset(),
}


class PoolPurchase(Base):
    """One number bought (or to be bought) to refill a pool; ``key`` is also the number's
    FriendlyName at Twilio, which is how a purchase in doubt is found again."""

    __tablename__ = "pool_purchases"
    __table_args__ = (
        sa.UniqueConstraint("key", name="uq_pool_purchases_key"),
        sa.Index("ix_pool_purchases_pool_created", "pool", "created_at"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    pool: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    phone_number: Mapped[str | None] = mapped_column(sa.String(32))
    twilio_sid: Mapped[str | None] = mapped_column(sa.String(34))
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
