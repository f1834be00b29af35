"""Magic links, customer sessions and rate-limit hits. Secrets are stored only as SHA-256."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class LinkPurpose(StrEnum):
    VERIFY = "verify"  # sent at signup: redeeming it verifies the owner's email (and signs in)
    SIGN_IN = "sign_in"  # asked for by a returning customer


class MagicLink(Base):
    """A one-time link: valid until ``expires_at``, redeemed once (``used_at`` set by a guarded
    UPDATE, so two concurrent clicks give one session)."""

    __tablename__ = "magic_links"
    __table_args__ = (sa.Index("ix_magic_links_tenant", "tenant_id"),)

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(320))
    purpose: Mapped[LinkPurpose] = mapped_column(
        sa.Enum(
            LinkPurpose,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CustomerSession(Base):
    """A signed-in customer: the cookie carries the token, this table its SHA-256."""

    __tablename__ = "customer_sessions"
    __table_args__ = (sa.Index("ix_customer_sessions_tenant", "tenant_id"),)

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RateHit(Base):
    """One counted request of a bucket (``signup_start:<address>``): a sliding-window log kept in
    the database, so SQLite-only installs are limited too and every process sees every hit."""

    __tablename__ = "rate_hits"
    __table_args__ = (sa.Index("ix_rate_hits_bucket_at", "bucket", "at"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    bucket: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
