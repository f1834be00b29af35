"""The reads preflight makes that no domain offers: the engine's heartbeats and its schedules."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from dbos import DBOSClient
from sqlalchemy.orm import Session

from steward.config import Settings
from steward.db import Base, Database
from steward.executors import T as EXECUTORS


@dataclass(frozen=True)
class Beat:
    id: str
    role: str
    started_at: datetime
    heartbeat_at: datetime


@dataclass(frozen=True)
class ScheduleRow:
    name: str
    cron: str
    status: str
    last_fired_at: str | None


def beats(session: Session) -> list[Beat]:
    rows = session.execute(
        sa.select(
            EXECUTORS.c.id, EXECUTORS.c.role, EXECUTORS.c.started_at, EXECUTORS.c.heartbeat_at
        )
    ).all()
    return [Beat(*row) for row in rows]


def ping(session: Session) -> None:
    session.execute(sa.text("SELECT 1"))


def model_drift(db: Database) -> list[str]:
    """What Alembic's autogenerate would write to make the database match the models: empty when
    the migrations and ``Base.metadata`` agree. Only our tables (the engine's live beside them)."""
    ours = set(Base.metadata.tables)

    def include(name: str | None, kind: str, parents: object) -> bool:
        return kind != "table" or name in ours

    with db.engine.connect() as conn, warnings.catch_warnings():
        # Expression indexes (lower(name)) cannot be reflected; the models declare them alike.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        context = MigrationContext.configure(conn, opts={"include_name": include})
        diffs = compare_metadata(context, Base.metadata)
    return [_describe(d) for d in diffs]


def _describe(diff: object) -> str:
    if isinstance(diff, tuple) and diff:
        parts = [str(diff[0])]
        for item in diff[1:3]:
            name = getattr(item, "name", None)
            parts.append(str(name) if name is not None else str(item))
        return " ".join(parts)
    if isinstance(diff, list):  # modifications of one column come as a list of tuples
        return "; ".join(_describe(d) for d in diff)
    return str(diff)


def schedules(settings: Settings) -> list[ScheduleRow]:
    client = DBOSClient(
        system_database_url=settings.database_url,
        dbos_system_schema=settings.dbos_schema,
        application_name="steward",
    )
    try:
        rows = client.list_schedules()
    finally:
        client.destroy()
    return [
        ScheduleRow(r["schedule_name"], r["schedule"], r["status"], r["last_fired_at"])
        for r in rows
    ]
