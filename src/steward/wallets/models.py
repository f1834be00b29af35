"""Wallets, their append-only ledger, usage, recharges, reconciliation runs and API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _enum(enum: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]
    )


class EntryKind(StrEnum):
    TOPUP = "topup"  # money in: a paid checkout or charge
    USAGE = "usage"  # a priced usage debit
    ADJUSTMENT = "adjustment"  # an operator's correction, either sign
    REFUND = "refund"  # money given back to the customer
    EXPIRY = "expiry"  # credit that lapsed


class Outcome(StrEnum):
    APPLIED = "applied"  # the amount moved the balance
    REFUSED = "refused"  # a debit past the debt limit; amount 0, kept so a retry replays it


class RechargeState(StrEnum):
    IDLE = "idle"  # no charge in flight: a threshold crossing may start one
    IN_FLIGHT = "in_flight"  # one recharge is charging; no other may start


# The wallet's hold on auto-recharge. idle -> in_flight is the threshold crossing's claim (with
# its conditions, in recharge_repository.open_if_idle); in_flight -> idle is the attempt's end, and
# only the attempt that holds it (same seq) may release it.
RECHARGE_STATE_TRANSITIONS: dict[RechargeState, frozenset[RechargeState]] = {
    RechargeState.IDLE: frozenset({RechargeState.IN_FLIGHT}),
    RechargeState.IN_FLIGHT: frozenset({RechargeState.IDLE}),
}


class RechargeStatus(StrEnum):
    PENDING = "pending"  # opened by a threshold crossing; the workflow has not charged yet
    CHARGING = "charging"  # sent to Stripe with its idempotency key; waiting for the webhook
    SUCCEEDED = "succeeded"  # payment_intent.succeeded credited the wallet
    DECLINED = "declined"  # the card was declined: back off
    SKIPPED = "skipped"  # kill switch off, cap reached, or no saved card


RECHARGE_TRANSITIONS: dict[RechargeStatus, frozenset[RechargeStatus]] = {
    RechargeStatus.PENDING: frozenset(
        {RechargeStatus.CHARGING, RechargeStatus.SKIPPED, RechargeStatus.DECLINED}
    ),
    RechargeStatus.CHARGING: frozenset({RechargeStatus.SUCCEEDED, RechargeStatus.DECLINED}),
    RechargeStatus.DECLINED: frozenset({RechargeStatus.SUCCEEDED}),  # a late success wins
    RechargeStatus.SUCCEEDED: frozenset(),
    RechargeStatus.SKIPPED: frozenset(),
}


class UsageStatus(StrEnum):
    PAID = "paid"  # debited from the wallet
    UNPAID = "unpaid"  # the debit was refused (debt limit): kept, visible, alerted


# A usage row is inserted paid with no ledger entry; its debit settles it once (entry_id set):
# paid stays paid, a refusal makes it unpaid, which is final (the debt shows on the wallet).
USAGE_TRANSITIONS: dict[UsageStatus, frozenset[UsageStatus]] = {
    UsageStatus.PAID: frozenset({UsageStatus.PAID, UsageStatus.UNPAID}),
    UsageStatus.UNPAID: frozenset(),
}


class RunStatus(StrEnum):
    RUNNING = "running"  # paging through the provider's records
    COMPLETED = "completed"  # every page matched; the report is final
    FAILED = "failed"  # the provider kept failing; re-run the window (no double debits)


RUN_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.RUNNING: frozenset({RunStatus.COMPLETED, RunStatus.FAILED}),
    RunStatus.COMPLETED: frozenset(),
    RunStatus.FAILED: frozenset(),
}


class Wallet(Base):
    __tablename__ = "wallets"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "currency", name="uq_wallets_tenant_cur"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    balance: Mapped[int] = mapped_column(sa.BigInteger)
    debt_limit: Mapped[int] = mapped_column(sa.BigInteger)
    version: Mapped[int] = mapped_column(sa.BigInteger)
    recharge_threshold: Mapped[int | None] = mapped_column(sa.BigInteger)
    recharge_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(255))
    stripe_payment_method: Mapped[str | None] = mapped_column(sa.String(255))
    recharge_state: Mapped[RechargeState] = mapped_column(_enum(RechargeState))
    recharge_seq: Mapped[int] = mapped_column(sa.Integer)
    recharge_declines: Mapped[int] = mapped_column(sa.Integer)
    recharge_backoff_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WalletEntry(Base):
    """Append-only. ``amount`` is signed (credits positive); a refusal has amount 0."""

    __tablename__ = "wallet_entries"
    __table_args__ = (
        sa.UniqueConstraint("wallet_id", "idempotency_key", name="uq_wallet_entries_key"),
        sa.Index("ix_wallet_entries_wallet_id", "wallet_id", "id"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    wallet_id: Mapped[str] = mapped_column(sa.ForeignKey("wallets.id", ondelete="CASCADE"))
    kind: Mapped[EntryKind] = mapped_column(_enum(EntryKind))
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    requested: Mapped[int] = mapped_column(sa.BigInteger)
    balance_after: Mapped[int | None] = mapped_column(sa.BigInteger)
    debt_limit: Mapped[int | None] = mapped_column(sa.BigInteger)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UsageRecord(Base):
    __tablename__ = "usage_records"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "meter", "external_id", name="uq_usage_external"),
        sa.Index("ix_usage_records_status", "status", "created_at"),
        sa.Index("ix_usage_records_external", "meter", "external_id"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    wallet_id: Mapped[str] = mapped_column(sa.ForeignKey("wallets.id", ondelete="CASCADE"))
    meter: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column(sa.BigInteger)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    source: Mapped[str] = mapped_column(sa.String(32))  # webhook, api, reconciliation
    status: Mapped[UsageStatus] = mapped_column(_enum(UsageStatus))
    entry_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Recharge(Base):
    __tablename__ = "wallet_recharges"
    __table_args__ = (
        sa.UniqueConstraint("wallet_id", "seq", name="uq_wallet_recharges_seq"),
        sa.Index("ix_wallet_recharges_created", "wallet_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True)
    wallet_id: Mapped[str] = mapped_column(sa.ForeignKey("wallets.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[RechargeStatus] = mapped_column(_enum(RechargeStatus))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255))
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReconciliationRun(Base):
    __tablename__ = "reconciliation_runs"
    __table_args__ = (sa.Index("ix_reconciliation_runs_window", "provider", "window_from"),)

    id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)  # the DBOS workflow id
    provider: Mapped[str] = mapped_column(sa.String(32))
    window_from: Mapped[datetime] = mapped_column(UTCDateTime())
    window_to: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus))
    cursor: Mapped[str | None] = mapped_column(sa.String(200))
    pages: Mapped[int] = mapped_column(sa.Integer)
    total: Mapped[int | None] = mapped_column(sa.BigInteger)
    calls_seen: Mapped[int] = mapped_column(sa.BigInteger)
    already_billed: Mapped[int] = mapped_column(sa.BigInteger)
    newly_billed: Mapped[int] = mapped_column(sa.BigInteger)
    unpaid: Mapped[int] = mapped_column(sa.BigInteger)
    amount_recovered: Mapped[int] = mapped_column(sa.BigInteger)
    unpriced: Mapped[int] = mapped_column(sa.BigInteger)
    unpriced_sample: Mapped[str] = mapped_column(sa.Text)  # JSON: the first few, with reasons
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
