"""Alerts: the alert log, its history, tenant mutes, the delivery log; cockpit operators and
sessions; indexes that keep the alert sweep and the cockpit's tenant pages proportional to matches.

Revision ID: 0100_alerts
Revises: 0003_flags_audit
Create Date: 2026-11-22 12:30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from steward.db import UTCDateTime

revision = "0100_alerts"
down_revision = "0003_flags_audit"
branch_labels = ("alerts",)
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")
ACTIVE = sa.text("status IN ('open', 'acknowledged')")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(128), nullable=False),
        sa.Column("tenant_id", sa.String(40)),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("occurrences", sa.Integer, nullable=False, server_default="1"),
        sa.Column("notified_at", UTCDateTime()),
        sa.Column("notifications", sa.Integer, nullable=False, server_default="0"),
        sa.Column("acknowledged_at", UTCDateTime()),
        sa.Column("acknowledged_by", sa.String(128)),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("resolved_by", sa.String(128)),
    )
    op.create_index(
        "uq_alerts_active",
        "alerts",
        ["rule", "resource_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_index("ix_alerts_status_severity", "alerts", ["status", "severity", "id"])
    op.create_index("ix_alerts_rule_status", "alerts", ["rule", "status"])
    op.create_index("ix_alerts_tenant", "alerts", ["tenant_id", "id"])
    op.create_index("ix_alerts_resource", "alerts", ["resource_id", "id"])
    op.create_table(
        "alert_history",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column(
            "alert_id", BIGINT, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
    )
    op.create_index("ix_alert_history_alert", "alert_history", ["alert_id", "id"])
    op.create_table(
        "alert_mutes",
        sa.Column("tenant_id", sa.String(40), primary_key=True),
        sa.Column("until", UTCDateTime()),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("muted_by", sa.String(128), nullable=False),
        sa.Column("muted_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("alert_id", BIGINT),
        sa.Column("notification", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_alert_deliveries_alert", "alert_deliveries", ["alert_id", "id"])
    op.create_table(
        "operators",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "operator_id",
            sa.String(40),
            sa.ForeignKey("operators.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_operator_sessions_expires", "operator_sessions", ["expires_at"])
    # The payment-gate rule and the cockpit's tenant list (newest first) over 100,000 tenants.
    op.create_index("ix_tenants_payment_created", "tenants", ["payment_status", "created_at"])
    op.create_index("ix_tenants_created", "tenants", ["created_at"])
    # The cockpit's tenant search (case-insensitive name prefix, a range on lower(name)) and the
    # event inbox filtered by type, newest first, over 1,000,000 events.
    op.create_index("ix_tenants_name_lower", "tenants", [sa.text("lower(name)")])
    op.create_index("ix_inbound_events_type_id", "inbound_events", ["type", "id"])


def downgrade() -> None:
    op.drop_index("ix_inbound_events_type_id", "inbound_events")
    op.drop_index("ix_tenants_name_lower", "tenants")
    op.drop_index("ix_tenants_created", "tenants")
    op.drop_index("ix_tenants_payment_created", "tenants")
    op.drop_table("operator_sessions")
    op.drop_table("operators")
    op.drop_table("alert_deliveries")
    op.drop_table("alert_mutes")
    op.drop_table("alert_history")
    op.drop_table("alerts")
