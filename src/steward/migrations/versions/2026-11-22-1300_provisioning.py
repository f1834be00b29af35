"""Provisioning runs, their step timeline, provisioned resources, and resource pools.

Revision ID: 0100_provisioning
Revises: 0003_flags_audit
Create Date: 2026-11-22 13:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_provisioning"
down_revision = "0003_flags_audit"
branch_labels = ("provisioning",)
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _tenant(nullable: bool = False) -> sa.Column[str]:
    return sa.Column(
        "tenant_id",
        sa.String(40),
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "provisioning_runs",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        _tenant(),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("workflow_id", sa.String(220), nullable=False),
        sa.Column("retries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("waiting_on", sa.String(200)),
        sa.Column("target_run_id", BIGINT),
        sa.Column("cause_event_id", BIGINT),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_provisioning_runs_key"),
    )
    op.create_index("ix_provisioning_runs_tenant", "provisioning_runs", ["tenant_id"])
    op.create_index("ix_provisioning_runs_state", "provisioning_runs", ["state"])
    op.create_table(
        "provisioning_steps",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            BIGINT,
            sa.ForeignKey("provisioning_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("output", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.UniqueConstraint("run_id", "position", name="uq_provisioning_steps"),
    )
    op.create_table(
        "provisioned_resources",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _tenant(),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "kind", "name", name="uq_provisioned_resources"),
    )
    op.create_table(
        "pools",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("low_watermark", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "pool_items",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "pool", sa.String(64), sa.ForeignKey("pools.name", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("tenant_id", sa.String(40)),
        sa.Column("holder", sa.String(300)),
        sa.Column("allocated_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("pool", "value", name="uq_pool_items_value"),
        sa.UniqueConstraint("pool", "holder", name="uq_pool_items_holder"),
    )
    op.create_index("ix_pool_items_free", "pool_items", ["pool", "tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_pool_items_free", table_name="pool_items")
    op.drop_table("pool_items")
    op.drop_table("pools")
    op.drop_table("provisioned_resources")
    op.drop_table("provisioning_steps")
    op.drop_index("ix_provisioning_runs_state", table_name="provisioning_runs")
    op.drop_index("ix_provisioning_runs_tenant", table_name="provisioning_runs")
    op.drop_table("provisioning_runs")
