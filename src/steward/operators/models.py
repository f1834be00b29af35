"""Operators and their sessions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime


class Operator(Base):
    __tablename__ = "operators"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))  # scrypt$n$r$p$salt$hash
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OperatorSession(Base):
    """A login: the cookie carries the token, the table its SHA-256 (a stolen table logs no one
    in); ``csrf`` is the per-session token every form must echo."""

    __tablename__ = "operator_sessions"
    __table_args__ = (sa.Index("ix_operator_sessions_expires", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    operator_id: Mapped[str] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
