"""Pool purchases: numbers bought from Twilio to refill a pool below its watermark.

Revision ID: 0101_pool_purchases
Revises: 0100_provisioning
Create Date: 2026-12-01 21:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0101_pool_purchases"
down_revision = "0100_provisioning"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "pool_purchases",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("pool", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("phone_number", sa.String(32)),
        sa.Column("twilio_sid", sa.String(34)),
        sa.Column("error", sa.String(500)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_pool_purchases_key"),
    )
    op.create_index("ix_pool_purchases_pool_created", "pool_purchases", ["pool", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_pool_purchases_pool_created", table_name="pool_purchases")
    op.drop_table("pool_purchases")
