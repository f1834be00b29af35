"""Wallets: the ledger, usage, recharges, reconciliation runs and API keys.

Revision ID: 0100_wallets
Revises: 0003_flags_audit
Create Date: 2026-11-22 11:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_wallets"
down_revision = "0003_flags_audit"
branch_labels = ("wallets",)
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _tenant() -> sa.Column[str]:
    return sa.Column(
        "tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )


def _wallet() -> sa.Column[str]:
    return sa.Column(
        "wallet_id", sa.String(40), sa.ForeignKey("wallets.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "wallets",
        sa.Column("id", sa.String(40), primary_key=True),
        _tenant(),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("balance", sa.BigInteger, nullable=False),
        sa.Column("debt_limit", sa.BigInteger, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("recharge_threshold", sa.BigInteger),
        sa.Column("recharge_amount", sa.BigInteger),
        sa.Column("stripe_customer_id", sa.String(255)),
        sa.Column("stripe_payment_method", sa.String(255)),
        sa.Column("recharge_state", sa.String(24), nullable=False),
        sa.Column("recharge_seq", sa.Integer, nullable=False),
        sa.Column("recharge_declines", sa.Integer, nullable=False),
        sa.Column("recharge_backoff_until", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "currency", name="uq_wallets_tenant_cur"),
        sa.CheckConstraint("debt_limit >= 0", name="ck_wallets_debt_limit"),
        sa.CheckConstraint("balance >= -debt_limit", name="ck_wallets_within_limit"),
    )
    op.create_table(
        "wallet_entries",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _wallet(),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("requested", sa.BigInteger, nullable=False),
        sa.Column("balance_after", sa.BigInteger),
        sa.Column("debt_limit", sa.BigInteger),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("wallet_id", "idempotency_key", name="uq_wallet_entries_key"),
    )
    op.create_index("ix_wallet_entries_wallet_id", "wallet_entries", ["wallet_id", "id"])
    op.create_table(
        "usage_records",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _tenant(),
        _wallet(),
        sa.Column("meter", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("entry_id", sa.BigInteger),
        sa.Column("occurred_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "meter", "external_id", name="uq_usage_external"),
    )
    op.create_index("ix_usage_records_status", "usage_records", ["status", "created_at"])
    op.create_index("ix_usage_records_external", "usage_records", ["meter", "external_id"])
    op.create_table(
        "wallet_recharges",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _wallet(),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("payment_intent_id", sa.String(255)),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("wallet_id", "seq", name="uq_wallet_recharges_seq"),
    )
    op.create_index("ix_wallet_recharges_created", "wallet_recharges", ["wallet_id", "created_at"])
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("window_from", UTCDateTime(), nullable=False),
        sa.Column("window_to", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("cursor", sa.String(200)),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("total", sa.BigInteger),
        *[
            sa.Column(name, sa.BigInteger, nullable=False)
            for name in (
                "calls_seen",
                "already_billed",
                "newly_billed",
                "unpaid",
                "amount_recovered",
                "unpriced",
            )
        ],
        sa.Column("unpriced_sample", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
    )
    op.create_index(
        "ix_reconciliation_runs_window", "reconciliation_runs", ["provider", "window_from"]
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        _tenant(),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("reconciliation_runs")
    op.drop_table("wallet_recharges")
    op.drop_table("usage_records")
    op.drop_table("wallet_entries")
    op.drop_table("wallets")
