"""The alert log: alerts and their history, tenant mutes, and the delivery log.

open ──▶ acknowledged            operator ack (still open: it resolves when the condition clears)
  │  ──▶ resolved                the condition cleared, or an operator resolved or reset it
acknowledged ──▶ open            the severity rose: the operator must look again
acknowledged ──▶ resolved        as from open
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class AlertStatus(StrEnum):
    OPEN = "open"  # the condition holds and no operator has acknowledged it
    ACKNOWLEDGED = "acknowledged"  # an operator has seen it; the condition still holds
    RESOLVED = "resolved"  # the condition cleared or an operator closed it; kept for history


ACTIVE = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)

TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.OPEN: frozenset({AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED}),
    AlertStatus.ACKNOWLEDGED: frozenset({AlertStatus.OPEN, AlertStatus.RESOLVED}),
    AlertStatus.RESOLVED: frozenset(),
}


def _enum(enum: type[StrEnum], length: int = 16) -> sa.Enum:
    return sa.Enum(
        enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # One active alert per (rule, resource), guarded by the database.
        sa.Index(
            "uq_alerts_active",
            "rule",
            "resource_id",
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'acknowledged')"),
            postgresql_where=sa.text("status IN ('open', 'acknowledged')"),
        ),
        sa.Index("ix_alerts_status_severity", "status", "severity", "id"),
        sa.Index("ix_alerts_rule_status", "rule", "status"),
        sa.Index("ix_alerts_tenant", "tenant_id", "id"),
        sa.Index("ix_alerts_resource", "resource_id", "id"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(64))
    resource_id: Mapped[str] = mapped_column(sa.String(128))
    tenant_id: Mapped[str | None] = mapped_column(sa.String(40))
    severity: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[AlertStatus] = mapped_column(_enum(AlertStatus))
    title: Mapped[str] = mapped_column(sa.String(200))
    message: Mapped[str] = mapped_column(sa.Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    occurrences: Mapped[int] = mapped_column(default=1)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notifications: Mapped[int] = mapped_column(default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(sa.String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(sa.String(128))


class AlertHistory(Base):
    """Everything that happened to an alert; append-only."""

    __tablename__ = "alert_history"
    __table_args__ = (sa.Index("ix_alert_history_alert", "alert_id", "id"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alerts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(sa.String(32))  # opened, seen, notified, escalated, ...
    message: Mapped[str] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.String(128), default="steward")


class AlertMute(Base):
    """A tenant whose alerts are recorded but not sent, until ``until`` (None: until unmuted)."""

    __tablename__ = "alert_mutes"

    tenant_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    muted_by: Mapped[str] = mapped_column(sa.String(128))
    muted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertDelivery(Base):
    """One attempt to send one notification to one channel."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (sa.Index("ix_alert_deliveries_alert", "alert_id", "id"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(BIGINT)  # None: a test message
    notification: Mapped[str] = mapped_column(sa.String(80))  # the idempotency key
    channel: Mapped[str] = mapped_column(sa.String(200))  # the URL with secrets masked
    attempt: Mapped[int] = mapped_column()
    ok: Mapped[bool] = mapped_column(sa.Boolean)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
