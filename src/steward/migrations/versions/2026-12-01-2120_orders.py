"""Orders: several purchases per tenant, each with its own checkout and provisioning run.

Revision ID: 0100_orders
Revises: 0003_flags_audit
Create Date: 2026-12-01 21:20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_orders"
down_revision = "0003_flags_audit"
branch_labels = ("orders",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.String(40),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("checkout_session_id", sa.String(255), nullable=True),
        sa.Column("checkout_url", sa.Text, nullable=True),
        sa.Column("run_key", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("checkout_session_id", name="uq_orders_checkout"),
    )
    op.create_index("ix_orders_tenant", "orders", ["tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_table("orders")
