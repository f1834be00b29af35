"""Messaging: SMS messages in both directions, their status history, and opted-out numbers.

Revision ID: 0100_messaging
Revises: 0003_flags_audit
Create Date: 2026-12-01 20:40
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_messaging"
down_revision = "0003_flags_audit"
branch_labels = ("messaging",)
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.String(40)),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("to_number", sa.String(32), nullable=False),
        sa.Column("from_number", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("twilio_sid", sa.String(34)),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("error_code", sa.Integer),
        sa.Column("error", sa.String(500)),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("claimed_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("twilio_sid", name="uq_messages_twilio_sid"),
        sa.UniqueConstraint("idempotency_key", name="uq_messages_key"),
    )
    op.create_index("ix_messages_tenant", "messages", ["tenant_id", "created_at"])
    op.create_index("ix_messages_to", "messages", ["to_number", "created_at"])
    op.create_index("ix_messages_status", "messages", ["status"])
    op.create_table(
        "message_transitions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "message_id",
            sa.String(40),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("from_status", sa.String(24)),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("cause", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_message_transitions_message", "message_transitions", ["message_id", "id"])
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone", sa.String(32), primary_key=True),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("opted_out_at", UTCDateTime()),
        sa.Column("opted_in_at", UTCDateTime()),
        sa.Column("cause", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_outs")
    op.drop_index("ix_message_transitions_message", table_name="message_transitions")
    op.drop_table("message_transitions")
    op.drop_index("ix_messages_status", table_name="messages")
    op.drop_index("ix_messages_to", table_name="messages")
    op.drop_index("ix_messages_tenant", table_name="messages")
    op.drop_table("messages")
