"""Subscriptions, their transitions, checkout sessions, trial claims and sync cursors.

    none ──▶ checkout_open ──▶ trialing ──▶ active ◀──▶ past_due
      │            │              │  ▲          │          │
      │            ▼              ▼  │          ▼          ▼
      │         expired        paused ◀──────────────── canceled (final)
      └──────────────────────▶ (trialing | active, for a subscription made outside checkout)

Every state except canceled and expired may end in canceled. A transition not in the table fails
the event that asked for it, loudly.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class SubscriptionStatus(StrEnum):
    NONE = "none"  # nothing yet
    CHECKOUT_OPEN = "checkout_open"  # a checkout session waits for the customer
    TRIALING = "trialing"  # free trial running
    ACTIVE = "active"  # paid and current
    PAST_DUE = "past_due"  # a payment failed; grace period running
    PAUSED = "paused"  # collection paused
    CANCELED = "canceled"  # ended (final)
    EXPIRED = "expired"  # the checkout or first payment never completed (final)


S = SubscriptionStatus
FINAL = frozenset({S.CANCELED, S.EXPIRED})
TRANSITIONS: dict[SubscriptionStatus, frozenset[SubscriptionStatus]] = {
    S.NONE: frozenset({S.CHECKOUT_OPEN, S.TRIALING, S.ACTIVE, S.PAST_DUE, S.CANCELED, S.EXPIRED}),
    S.CHECKOUT_OPEN: frozenset({S.TRIALING, S.ACTIVE, S.EXPIRED, S.CANCELED}),
    S.TRIALING: frozenset({S.ACTIVE, S.PAST_DUE, S.PAUSED, S.CANCELED}),
    S.ACTIVE: frozenset({S.PAST_DUE, S.PAUSED, S.CANCELED}),
    S.PAST_DUE: frozenset({S.ACTIVE, S.PAUSED, S.CANCELED}),
    S.PAUSED: frozenset({S.ACTIVE, S.TRIALING, S.CANCELED}),
    S.CANCELED: frozenset(),
    S.EXPIRED: frozenset(),
}


def _enum(enum: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]
    )


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        sa.UniqueConstraint("stripe_subscription_id", name="uq_subscriptions_stripe_id"),
        sa.Index("ix_subscriptions_tenant", "tenant_id"),
        sa.Index("ix_subscriptions_status_past_due", "status", "past_due_since"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    plan: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[SubscriptionStatus] = mapped_column(_enum(SubscriptionStatus))
    stripe_subscription_id: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(255))
    trial_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_at_period_end: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    past_due_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_time: Mapped[datetime | None] = mapped_column(UTCDateTime())  # newest applied
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubscriptionTransition(Base):
    """Every change of status, with what caused it; append-only."""

    __tablename__ = "subscription_transitions"
    __table_args__ = (sa.Index("ix_subscription_transitions_sub", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscriptions.id", ondelete="CASCADE")
    )
    from_status: Mapped[str] = mapped_column(sa.String(24))
    to_status: Mapped[str] = mapped_column(sa.String(24))
    cause: Mapped[str] = mapped_column(sa.String(128))  # "event:<id>", "api", "sync", "grace"
    reason: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class CheckoutStatus(StrEnum):
    CREATING = "creating"  # reserved; the provider call may not have answered yet
    OPEN = "open"  # the customer can pay at url
    COMPLETE = "complete"  # paid (final)
    EXPIRED = "expired"  # abandoned


#   creating ──▶ open ──▶ complete
#                  │         ▲
#                  ▼         │  a paid session is paid, whichever of its events is applied first
#               expired ─────┘
CHECKOUT_TRANSITIONS: dict[CheckoutStatus, frozenset[CheckoutStatus]] = {
    CheckoutStatus.CREATING: frozenset({CheckoutStatus.OPEN}),
    CheckoutStatus.OPEN: frozenset({CheckoutStatus.COMPLETE, CheckoutStatus.EXPIRED}),
    CheckoutStatus.EXPIRED: frozenset({CheckoutStatus.COMPLETE}),
    CheckoutStatus.COMPLETE: frozenset(),
}


class CheckoutSession(Base):
    """At most one open (or creating) session per tenant and plan: ``open_key`` is unique and
    set only while the session is creating or open."""

    __tablename__ = "checkout_sessions"
    __table_args__ = (
        sa.UniqueConstraint("open_key", name="uq_checkout_sessions_open_key"),
        sa.Index("ix_checkout_sessions_tenant", "tenant_id", "plan"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    plan: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[CheckoutStatus] = mapped_column(_enum(CheckoutStatus))
    open_key: Mapped[str | None] = mapped_column(sa.String(128))
    idempotency_key: Mapped[str] = mapped_column(sa.String(128))
    trial_days: Mapped[int] = mapped_column(default=0)
    stripe_session_id: Mapped[str | None] = mapped_column(sa.String(255))
    url: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TrialClaim(Base):
    """An identity (normalized email, E.164 phone, email domain, card fingerprint) that has had a
    trial. Unique per key, so a second tenant with the same key checks out without one."""

    __tablename__ = "trial_claims"

    key: Mapped[str] = mapped_column(sa.String(320), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.String(40))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SyncCursor(Base):
    """How far a catch-up sync has read a provider's event list."""

    __tablename__ = "sync_cursors"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_gte: Mapped[int] = mapped_column(sa.BigInteger())  # provider time, unix seconds
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
