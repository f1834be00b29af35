"""Kill-switch flags."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime


class FailureMode(StrEnum):
    CLOSED = "closed"  # when the flag cannot be read, the feature is off (the safe default)
    OPEN = "open"  # when the flag cannot be read, the feature stays on


class Flag(Base):
    __tablename__ = "flags"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(sa.String(128))
