"""Subscriptions: state, transitions, checkout sessions, trial claims, sync cursors.

Revision ID: 0100_subscriptions
Revises: 0003_flags_audit
Create Date: 2026-11-22 10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_subscriptions"
down_revision = "0003_flags_audit"
branch_labels = ("subscriptions",)
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "tenant_id",
            sa.String(40),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("stripe_subscription_id", sa.String(255)),
        sa.Column("stripe_customer_id", sa.String(255)),
        sa.Column("trial_end", UTCDateTime()),
        sa.Column("current_period_end", UTCDateTime()),
        sa.Column("cancel_at_period_end", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("past_due_since", UTCDateTime()),
        sa.Column("suspended_at", UTCDateTime()),
        sa.Column("provider_time", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("stripe_subscription_id", name="uq_subscriptions_stripe_id"),
    )
    op.create_index("ix_subscriptions_tenant", "subscriptions", ["tenant_id"])
    op.create_index(
        "ix_subscriptions_status_past_due", "subscriptions", ["status", "past_due_since"]
    )
    op.create_table(
        "subscription_transitions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            BIGINT,
            sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("from_status", sa.String(24), nullable=False),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("cause", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_subscription_transitions_sub", "subscription_transitions", ["subscription_id", "id"]
    )
    op.create_table(
        "checkout_sessions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "tenant_id",
            sa.String(40),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("open_key", sa.String(128)),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("trial_days", sa.Integer, nullable=False, server_default="0"),
        sa.Column("stripe_session_id", sa.String(255)),
        sa.Column("url", sa.Text),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("open_key", name="uq_checkout_sessions_open_key"),
    )
    op.create_index("ix_checkout_sessions_tenant", "checkout_sessions", ["tenant_id", "plan"])
    op.create_table(
        "trial_claims",
        sa.Column("key", sa.String(320), primary_key=True),
        sa.Column("tenant_id", sa.String(40), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("created_gte", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "sync_cursors",
        "trial_claims",
        "checkout_sessions",
        "subscription_transitions",
        "subscriptions",
    ):
        op.drop_table(table)
