"""Recovery: per-company settings, cases (one open per membership), their transitions, the
reminders each case schedules, the audit of every action, and each company's circuit breaker.

A *company* is a Steward tenant; its *members* are the customers whose payment failed. A case
from Stripe-billed products belongs to the pseudo-company ``OWN_COMPANY`` (the product itself)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")
OWN_COMPANY = "_product"  # the product's own customers (Stripe-billed), not a tenant's members


def _enum(enum: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]
    )


class CaseState(StrEnum):
    OPEN = "open"  # a payment failed; reminders are scheduled and sent as they fall due
    RECOVERED = "recovered"  # a later payment succeeded: amount and time recorded
    CANCELLED = "cancelled"  # renewal stopped (at period end), manually or after every attempt
    TERMINATED = "terminated"  # access revoked now
    EXPIRED = "expired"  # the membership ended on the provider's side without recovery


S = CaseState
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.OPEN: frozenset({S.RECOVERED, S.CANCELLED, S.TERMINATED, S.EXPIRED}),
    # access lasts until the period ends: a payment may still come, or the member be cut off
    S.CANCELLED: frozenset({S.RECOVERED, S.TERMINATED, S.EXPIRED}),
    S.RECOVERED: frozenset(),
    S.TERMINATED: frozenset(),
    S.EXPIRED: frozenset(),
}


class ReminderState(StrEnum):
    PENDING = "pending"  # waiting for its due time (or for a retry after a failed send)
    CLAIMED = "claimed"  # one worker took it; a claim older than the stale limit is retaken
    SENT = "sent"  # sent once; its audit row committed with this state
    FAILED = "failed"  # every attempt failed; left visible, never retried silently
    SKIPPED = "skipped"  # the case closed before it fell due


class RecoverySettings(Base):
    __tablename__ = "recovery_settings"

    company_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    whop_company_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    whop_experience_id: Mapped[str | None] = mapped_column(sa.String(64))
    offsets_days: Mapped[str] = mapped_column(sa.String(200))  # JSON list of ints
    channels: Mapped[str] = mapped_column(sa.String(200))  # JSON list of channel names
    incentive_days: Mapped[int] = mapped_column(sa.Integer, default=0)
    incentive_coupon: Mapped[str | None] = mapped_column(sa.String(64))
    attempts_before_cancel: Mapped[int] = mapped_column(sa.Integer)
    final_action: Mapped[str] = mapped_column(sa.String(16))  # cancel | terminate
    quiet_start_hour: Mapped[int | None] = mapped_column(sa.Integer)
    quiet_end_hour: Mapped[int | None] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecoveryCase(Base):
    __tablename__ = "recovery_cases"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    provider: Mapped[str] = mapped_column(sa.String(16))  # whop | stripe
    membership_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    # the membership while the case is open, NULL after: unique, so one open case per membership
    open_key: Mapped[str | None] = mapped_column(sa.String(90), unique=True)
    user_id: Mapped[str | None] = mapped_column(sa.String(64))
    email: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(20))  # for SMS, when the member has one
    state: Mapped[CaseState] = mapped_column(_enum(CaseState))
    amount_due: Mapped[int | None] = mapped_column(BIGINT)
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    failed_payment_id: Mapped[str | None] = mapped_column(sa.String(64))
    failure_message: Mapped[str | None] = mapped_column(sa.String(255))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recovered_amount: Mapped[int | None] = mapped_column(BIGINT)
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)  # reminders sent
    last_nudge_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    incentive_applied: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    give_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseTransition(Base):
    __tablename__ = "recovery_case_transitions"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("recovery_cases.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(sa.String(24))
    to_state: Mapped[str] = mapped_column(sa.String(24))
    cause: Mapped[str] = mapped_column(sa.String(120))  # event:<id>, manual:<actor>, tick
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reminder(Base):
    __tablename__ = "recovery_reminders"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "seq"),
        sa.Index("ix_recovery_reminders_due", "state", "due_at"),
        sa.Index("ix_recovery_reminders_company_due", "company_id", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("recovery_cases.id", ondelete="CASCADE")
    )
    company_id: Mapped[str] = mapped_column(sa.String(40))
    seq: Mapped[int] = mapped_column(sa.Integer)  # 1..n, the offset's position
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[ReminderState] = mapped_column(_enum(ReminderState))
    tries: Mapped[int] = mapped_column(sa.Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(500))


class RecoveryAction(Base):
    """One row per action taken: never the message itself, only what, how, by whom."""

    __tablename__ = "recovery_actions"
    __table_args__ = (sa.UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(
        sa.String(40), sa.ForeignKey("recovery_cases.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    membership_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # nudge | incentive | cancel | terminate
    channel: Mapped[str | None] = mapped_column(sa.String(16))  # email | push | dm | sms
    manual: Mapped[bool] = mapped_column(sa.Boolean)
    actor: Mapped[str] = mapped_column(sa.String(120))  # system, or who asked
    template_version: Mapped[str | None] = mapped_column(sa.String(40))
    attempt: Mapped[int | None] = mapped_column(sa.Integer)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class CompanyBreaker(Base):
    """A company whose provider keeps failing is skipped until its cool-down passes."""

    __tablename__ = "recovery_breakers"

    company_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)  # consecutive
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: closed


class MemberPayment(Base):
    """The newest successful payment seen per membership: a failure older than it is stale."""

    __tablename__ = "recovery_member_payments"

    membership_key: Mapped[str] = mapped_column(sa.String(90), primary_key=True)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payment_id: Mapped[str | None] = mapped_column(sa.String(64))  # the payment that succeeded
