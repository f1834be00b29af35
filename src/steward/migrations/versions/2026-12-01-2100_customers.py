"""Customers: magic links, customer sessions, rate-limit hits.

Revision ID: 0100_customers
Revises: 0003_flags_audit
Create Date: 2026-12-01 21:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_customers"
down_revision = "0003_flags_audit"
branch_labels = ("customers",)
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _tenant() -> sa.Column[str]:
    return sa.Column(
        "tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "magic_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _tenant(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_magic_links_tenant", "magic_links", ["tenant_id"])
    op.create_table(
        "customer_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _tenant(),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_customer_sessions_tenant", "customer_sessions", ["tenant_id"])
    op.create_table(
        "rate_hits",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("bucket", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_rate_hits_bucket_at", "rate_hits", ["bucket", "at"])


def downgrade() -> None:
    op.drop_table("rate_hits")
    op.drop_table("customer_sessions")
    op.drop_table("magic_links")
