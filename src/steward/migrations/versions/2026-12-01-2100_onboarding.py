"""Onboarding conversations, facts, transitions and turns.

Revision ID: 0100_onboarding
Revises: 0003_flags_audit
Create Date: 2026-12-01 21:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_onboarding"
down_revision = "0003_flags_audit"
branch_labels = ("onboarding",)
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _conversation() -> sa.Column[int]:
    return sa.Column(
        "conversation_id",
        BIGINT,
        sa.ForeignKey("onboarding_conversations.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "onboarding_conversations",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "tenant_id", sa.String(40), sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("state_entered_at", UTCDateTime(), nullable=False),
        sa.Column("clock_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("live_at", UTCDateTime()),
        sa.UniqueConstraint("flow", "address", name="uq_onboarding_flow_address"),
        sa.UniqueConstraint("tenant_id", name="uq_onboarding_tenant"),
    )  # fmt: skip
    op.create_index(
        "ix_onboarding_status_state_clock",
        "onboarding_conversations",
        ["status", "state", "clock_at"],
    )
    op.create_table(
        "onboarding_facts",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _conversation(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("conversation_id", "kind", "name"),
    )
    op.create_table(
        "onboarding_transitions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _conversation(),
        sa.Column("from_state", sa.String(64)),
        sa.Column("to_state", sa.String(64), nullable=False),
        sa.Column("cause", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_onboarding_transitions_conv", "onboarding_transitions", ["conversation_id", "id"]
    )
    op.create_table(
        "onboarding_turns",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _conversation(),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_onboarding_turns_conv", "onboarding_turns", ["conversation_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_onboarding_turns_conv", "onboarding_turns")
    op.drop_table("onboarding_turns")
    op.drop_index("ix_onboarding_transitions_conv", "onboarding_transitions")
    op.drop_table("onboarding_transitions")
    op.drop_table("onboarding_facts")
    op.drop_index("ix_onboarding_status_state_clock", "onboarding_conversations")
    op.drop_table("onboarding_conversations")
