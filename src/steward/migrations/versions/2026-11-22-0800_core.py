"""Core: the inbound-event inbox, tenants and their timeline.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-22 08:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbound_events",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("provider_created_at", UTCDateTime()),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("deliveries", sa.Integer, nullable=False, server_default="1"),
        sa.Column("replays", sa.Integer, nullable=False, server_default="0"),
        sa.Column("tenant_id", sa.String(40)),
        sa.Column("last_error", sa.Text),
        sa.Column("traceback", sa.Text),
        sa.UniqueConstraint("source", "external_id", name="uq_inbound_events_source_external"),
    )
    op.create_index(
        "ix_inbound_events_status_next", "inbound_events", ["status", "next_attempt_at"]
    )
    op.create_index("ix_inbound_events_type", "inbound_events", ["type"])
    op.create_index("ix_inbound_events_tenant", "inbound_events", ["tenant_id"])

    op.create_table(
        "tenants",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20)),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("payment_status", sa.String(24), nullable=False),
        sa.Column("billing_status", sa.String(24), nullable=False),
        sa.Column("trial_ends_at", UTCDateTime()),
        sa.Column("stripe_customer_id", sa.String(255)),
        sa.Column("stripe_subscription_id", sa.String(255)),
        sa.Column("billing_changed_at", UTCDateTime()),
        sa.Column("activated_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_tenants_email", "tenants", ["email"])
    op.create_index("ix_tenants_stripe_customer", "tenants", ["stripe_customer_id"])
    op.create_index("ix_tenants_stripe_subscription", "tenants", ["stripe_subscription_id"])

    op.create_table(
        "tenant_timeline",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "tenant_id",
            sa.String(40),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("event_id", sa.BigInteger),
    )
    op.create_index("ix_tenant_timeline_tenant_at", "tenant_timeline", ["tenant_id", "at"])


def downgrade() -> None:
    op.drop_table("tenant_timeline")
    op.drop_table("tenants")
    op.drop_table("inbound_events")
