"""Signups (slug unique per product) and the answers kept for an Idempotency-Key.

Revision ID: 0100_signup
Revises: 0003_flags_audit
Create Date: 2026-12-01 21:10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_signup"
down_revision = "0003_flags_audit"
branch_labels = ("signup",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signups",
        sa.Column(
            "tenant_id",
            sa.String(40),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("product", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(40), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("start_data", sa.Text, nullable=False),
        sa.Column("brand_data", sa.Text, nullable=True),
        sa.Column("plan_data", sa.Text, nullable=True),
        sa.Column("primary_color", sa.String(7), nullable=True),
        sa.Column("secondary_color", sa.String(7), nullable=True),
        sa.Column("logo_url", sa.String(500), nullable=True),
        sa.Column("plan", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("product", "slug", name="uq_signups_product_slug"),
    )
    op.create_index("ix_signups_product_email", "signups", ["product", "email_key"])
    op.create_table(
        "signup_idempotency",
        sa.Column("scope", sa.String(300), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signup_idempotency")
    op.drop_table("signups")
