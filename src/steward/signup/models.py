"""A signup in progress or done, and the answers replayed for an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime


class SignupState(StrEnum):
    STARTED = "started"  # basic info given, tenant created; branding is next
    BRANDED = "branded"  # colours (and logo) given; the plan is next
    COMPLETE = "complete"  # plan chosen: free plans provision, paid plans go to checkout


TRANSITIONS: dict[SignupState, frozenset[SignupState]] = {
    SignupState.STARTED: frozenset({SignupState.BRANDED}),
    SignupState.BRANDED: frozenset({SignupState.COMPLETE}),
    SignupState.COMPLETE: frozenset(),
}

# The step each state expects next.
EXPECTS = {
    SignupState.STARTED: "brand",
    SignupState.BRANDED: "plan",
    SignupState.COMPLETE: "status",
}


class Signup(Base):
    __tablename__ = "signups"
    __table_args__ = (
        sa.UniqueConstraint("product", "slug", name="uq_signups_product_slug"),
        sa.Index("ix_signups_product_email", "product", "email_key"),
    )

    tenant_id: Mapped[str] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    product: Mapped[str] = mapped_column(sa.String(100))
    slug: Mapped[str] = mapped_column(sa.String(40))
    email_key: Mapped[str] = mapped_column(sa.String(320))  # normalized: one identity per inbox
    state: Mapped[SignupState] = mapped_column(
        sa.Enum(
            SignupState,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    # What each finished step was given (canonical JSON), to tell a replay from a change.
    start_data: Mapped[str] = mapped_column(sa.Text)
    brand_data: Mapped[str | None] = mapped_column(sa.Text)
    plan_data: Mapped[str | None] = mapped_column(sa.Text)
    primary_color: Mapped[str | None] = mapped_column(sa.String(7))
    secondary_color: Mapped[str | None] = mapped_column(sa.String(7))
    logo_url: Mapped[str | None] = mapped_column(sa.String(500))
    plan: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdempotentAnswer(Base):
    """The first answer to (route, Idempotency-Key), replayed for the same key and body."""

    __tablename__ = "signup_idempotency"

    scope: Mapped[str] = mapped_column(sa.String(300), primary_key=True)  # route:key
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # SHA-256 of the canonical body
    status_code: Mapped[int] = mapped_column(sa.Integer)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
