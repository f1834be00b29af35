"""Queries on process heartbeats (``executors``): beat, forget, find the stale, claim one."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from steward.db import Base, UTCDateTime, rowcount


class Executor(Base):
    __tablename__ = "executors"

    id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    app_version: Mapped[str] = mapped_column(sa.String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())


def beat(session: Session, executor_id: str, role: str, app_version: str, now: datetime) -> None:
    """Move this process's heartbeat to ``now``, or record the process on its first beat."""
    updated = session.execute(
        sa.update(Executor).where(Executor.id == executor_id).values(heartbeat_at=now)
    )
    if not rowcount(updated):
        session.execute(
            sa.insert(Executor).values(
                id=executor_id, role=role, app_version=app_version, started_at=now, heartbeat_at=now
            )
        )


def forget(session: Session, executor_id: str) -> None:
    session.execute(sa.delete(Executor).where(Executor.id == executor_id))


def stale(session: Session, cutoff: datetime, but: str) -> list[str]:
    """Executors whose last beat is older than ``cutoff``, other than ``but``."""
    return list(
        session.execute(
            sa.select(Executor.id).where(Executor.heartbeat_at < cutoff, Executor.id != but)
        ).scalars()
    )


def claim(session: Session, executor_id: str, cutoff: datetime) -> bool:
    """Delete a stale executor's row if it is still stale: True for the one claimant that won."""
    won = session.execute(
        sa.delete(Executor).where(Executor.id == executor_id, Executor.heartbeat_at < cutoff)
    )
    return rowcount(won) > 0
