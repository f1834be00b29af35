"""The domain-event log: append-only."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime


class DomainEvent(Base):
    __tablename__ = "domain_events"
    __table_args__ = (
        sa.Index("ix_domain_events_type_at", "type", "created_at"),
        sa.Index("ix_domain_events_tenant_at", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    type: Mapped[str] = mapped_column(sa.String(64))
    tenant_id: Mapped[str | None] = mapped_column(sa.String(40))
    data: Mapped[str] = mapped_column(sa.Text)  # JSON
    cause_event_id: Mapped[int | None] = mapped_column(sa.BigInteger())  # the inbound event, if any
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
