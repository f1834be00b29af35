"""Tenants and their timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime


class PaymentStatus(StrEnum):
    NONE = "none"  # never paid
    ACTIVE = "active"  # paying or trialing: service on
    INACTIVE = "inactive"  # paid once, no longer


class BillingStatus(StrEnum):
    NONE = "none"  # no subscription yet
    CHECKOUT_OPEN = "checkout_open"  # a checkout session is waiting for the customer
    TRIALING = "trialing"  # in a free trial
    ACTIVE = "active"  # paid and current
    PAST_DUE = "past_due"  # a renewal failed; in the grace period
    PAUSED = "paused"  # collection paused
    CANCELED = "canceled"  # ended
    EXPIRED = "expired"  # the first payment never completed


SERVICE_ON = frozenset({BillingStatus.TRIALING, BillingStatus.ACTIVE, BillingStatus.PAST_DUE})


def _enum(enum: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]
    )


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (
        sa.Index("ix_tenants_email", "email"),
        sa.Index("ix_tenants_stripe_customer", "stripe_customer_id"),
        sa.Index("ix_tenants_stripe_subscription", "stripe_subscription_id"),
        # The cockpit's tenant list and search, and the payment-gate rule (the alerts migration).
        sa.Index("ix_tenants_payment_created", "payment_status", "created_at"),
        sa.Index("ix_tenants_created", "created_at"),
        sa.Index("ix_tenants_name_lower", sa.func.lower(sa.column("name"))),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    plan: Mapped[str] = mapped_column(sa.String(64))
    payment_status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus))
    billing_status: Mapped[BillingStatus] = mapped_column(_enum(BillingStatus))
    trial_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_subscription_id: Mapped[str | None] = mapped_column(sa.String(255))
    billing_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TimelineEntry(Base):
    """What happened to a tenant and why; append-only."""

    __tablename__ = "tenant_timeline"
    __table_args__ = (sa.Index("ix_tenant_timeline_tenant_at", "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(sa.String(64))
    message: Mapped[str] = mapped_column(sa.Text)
    event_id: Mapped[int | None] = mapped_column(sa.BigInteger())
