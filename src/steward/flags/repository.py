"""Queries on kill switches."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.flags.models import Flag


def enabled_by_name(session: Session) -> dict[str, bool]:
    """Every stored flag's state (a declared flag never stored is on)."""
    return {name: enabled for name, enabled in session.execute(sa.select(Flag.name, Flag.enabled))}


def by_name(session: Session) -> dict[str, Flag]:
    return {f.name: f for f in session.execute(sa.select(Flag)).scalars()}


def get_for_update(session: Session, name: str) -> Flag | None:
    return session.get(Flag, name, with_for_update=True)


def add(session: Session, flag: Flag) -> Flag:
    session.add(flag)
    session.flush()
    return flag
