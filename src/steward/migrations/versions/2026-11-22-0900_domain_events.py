"""Domain events (the log domains publish to one another) and executors (process heartbeats).

Revision ID: 0002_events
Revises: 0001_core
Create Date: 2026-11-22 09:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0002_events"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "domain_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(40)),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("cause_event_id", sa.BigInteger),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_domain_events_type_at", "domain_events", ["type", "created_at"])
    op.create_index("ix_domain_events_tenant_at", "domain_events", ["tenant_id", "created_at"])
    op.create_table(
        "executors",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("app_version", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("executors")
    op.drop_table("domain_events")
