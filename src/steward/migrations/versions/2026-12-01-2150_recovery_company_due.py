"""Recovery: a company's due reminders found through an index that starts with the company, so
each claim reads that company's due rows only (a tick is O(due), not O(due²)).

Revision ID: 0101_recovery_company_due
Revises: 0100_recovery
Create Date: 2026-12-01 21:50
"""

from __future__ import annotations

from alembic import op

revision = "0101_recovery_company_due"
down_revision = "0100_recovery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_recovery_reminders_company_due",
        "recovery_reminders",
        ["company_id", "state", "due_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_recovery_reminders_company_due", table_name="recovery_reminders")
