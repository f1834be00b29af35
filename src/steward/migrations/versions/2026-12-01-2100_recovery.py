"""Recovery: per-company settings, cases (one open per membership), transitions, reminders,
the audit of recovery actions, circuit breakers and the newest payment per membership.

Revision ID: 0100_recovery
Revises: 0003_flags_audit
Create Date: 2026-12-01 21:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_recovery"
down_revision = "0003_flags_audit"
branch_labels = ("recovery",)
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _case() -> sa.Column[str]:
    return sa.Column(
        "case_id",
        sa.String(40),
        sa.ForeignKey("recovery_cases.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "recovery_settings",
        sa.Column("company_id", sa.String(40), primary_key=True),
        sa.Column("whop_company_id", sa.String(64), unique=True),
        sa.Column("whop_experience_id", sa.String(64)),
        sa.Column("offsets_days", sa.String(200), nullable=False),
        sa.Column("channels", sa.String(200), nullable=False),
        sa.Column("incentive_days", sa.Integer, nullable=False),
        sa.Column("incentive_coupon", sa.String(64)),
        sa.Column("attempts_before_cancel", sa.Integer, nullable=False),
        sa.Column("final_action", sa.String(16), nullable=False),
        sa.Column("quiet_start_hour", sa.Integer),
        sa.Column("quiet_end_hour", sa.Integer),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "recovery_cases",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("company_id", sa.String(40), nullable=False, index=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("membership_id", sa.String(64), nullable=False, index=True),
        sa.Column("open_key", sa.String(90), unique=True),
        sa.Column("user_id", sa.String(64)),
        sa.Column("email", sa.String(255)),
        sa.Column("phone", sa.String(20)),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("amount_due", BIGINT),
        sa.Column("currency", sa.String(3)),
        sa.Column("failed_payment_id", sa.String(64)),
        sa.Column("failure_message", sa.String(255)),
        sa.Column("opened_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("recovered_amount", BIGINT),
        sa.Column("recovered_at", UTCDateTime()),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_nudge_at", UTCDateTime()),
        sa.Column("incentive_applied", sa.Boolean, nullable=False),
        sa.Column("give_up_at", UTCDateTime(), index=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "recovery_case_transitions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _case(),
        sa.Column("from_state", sa.String(24)),
        sa.Column("to_state", sa.String(24), nullable=False),
        sa.Column("cause", sa.String(120), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_recovery_case_transitions_case_id", "recovery_case_transitions", ["case_id"]
    )
    op.create_table(
        "recovery_reminders",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _case(),
        sa.Column("company_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("claimed_at", UTCDateTime()),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("last_error", sa.String(500)),
        sa.UniqueConstraint("case_id", "seq"),
    )
    op.create_index("ix_recovery_reminders_due", "recovery_reminders", ["state", "due_at"])
    op.create_table(
        "recovery_actions",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        _case(),
        sa.Column("company_id", sa.String(40), nullable=False),
        sa.Column("membership_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16)),
        sa.Column("manual", sa.Boolean, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("template_version", sa.String(40)),
        sa.Column("attempt", sa.Integer),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_recovery_actions_case_id", "recovery_actions", ["case_id"])
    op.create_index("ix_recovery_actions_company_id", "recovery_actions", ["company_id"])
    op.create_index("ix_recovery_actions_membership_id", "recovery_actions", ["membership_id"])
    op.create_table(
        "recovery_breakers",
        sa.Column("company_id", sa.String(40), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("opened_at", UTCDateTime()),
    )
    op.create_table(
        "recovery_member_payments",
        sa.Column("membership_key", sa.String(90), primary_key=True),
        sa.Column("paid_at", UTCDateTime(), nullable=False),
        sa.Column("payment_id", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("recovery_member_payments")
    op.drop_table("recovery_breakers")
    op.drop_table("recovery_actions")
    op.drop_table("recovery_reminders")
    op.drop_table("recovery_case_transitions")
    op.drop_table("recovery_cases")

    op.drop_table("recovery_settings")
