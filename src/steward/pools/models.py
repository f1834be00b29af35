"""A pool and its items; an item is held by at most one (tenant, run step) at a time."""

from __future__ import annotations

from datetime import datetime

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
