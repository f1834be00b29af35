"""Inbound events and their state machine.

pending ──▶ processed            (handler applied, in the same transaction)
   │    ──▶ ignored              (no handler for the type; kept for the record)
   │    ──▶ failed               (cannot be applied as it is; not retried)
   │    ──▶ retrying ──▶ …       (an attempt failed; waits for next_attempt_at)
   │    ──▶ dead                 (attempts exhausted)
failed | dead | ignored ──▶ pending   (operator replay)
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime


class EventStatus(StrEnum):
    PENDING = "pending"  # stored, waiting to be applied
    RETRYING = "retrying"  # an attempt failed; waits for next_attempt_at
    PROCESSED = "processed"  # applied exactly once
    IGNORED = "ignored"  # no handler for this type
    FAILED = "failed"  # cannot be applied as it is; waits for the operator
    DEAD = "dead"  # retries exhausted; waits for the operator


OPEN = (EventStatus.PENDING, EventStatus.RETRYING)
REPLAYABLE = (EventStatus.FAILED, EventStatus.DEAD, EventStatus.IGNORED)

TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.PENDING: frozenset(
        {
            EventStatus.PROCESSED,
            EventStatus.IGNORED,
            EventStatus.FAILED,
            EventStatus.RETRYING,
            EventStatus.DEAD,
        }
    ),
    EventStatus.RETRYING: frozenset(
        {
            EventStatus.PROCESSED,
            EventStatus.IGNORED,
            EventStatus.FAILED,
            EventStatus.RETRYING,
            EventStatus.DEAD,
        }
    ),
    EventStatus.FAILED: frozenset({EventStatus.PENDING}),
    EventStatus.DEAD: frozenset({EventStatus.PENDING}),
    EventStatus.IGNORED: frozenset({EventStatus.PENDING}),
    EventStatus.PROCESSED: frozenset(),
}


def sources_of(target: EventStatus) -> tuple[EventStatus, ...]:
    """The states from which ``target`` may be reached."""
    return tuple(s for s, targets in TRANSITIONS.items() if target in targets)


class InboundEvent(Base):
    __tablename__ = "inbound_events"
    __table_args__ = (
        sa.UniqueConstraint("source", "external_id", name="uq_inbound_events_source_external"),
        sa.Index("ix_inbound_events_status_next", "status", "next_attempt_at"),
        sa.Index("ix_inbound_events_type", "type"),
        sa.Index("ix_inbound_events_type_id", "type", "id"),  # the cockpit's filter (alerts)
        sa.Index("ix_inbound_events_tenant", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    source: Mapped[str] = mapped_column(sa.String(32))
    external_id: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(128))
    status: Mapped[EventStatus] = mapped_column(
        sa.Enum(
            EventStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    payload: Mapped[str] = mapped_column(sa.Text)
    provider_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    deliveries: Mapped[int] = mapped_column(default=1)
    replays: Mapped[int] = mapped_column(default=0)
    tenant_id: Mapped[str | None] = mapped_column(sa.String(40))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    traceback: Mapped[str | None] = mapped_column(sa.Text)
