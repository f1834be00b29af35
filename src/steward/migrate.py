"""Alembic, driven from Steward: ``steward migrate up|down|status``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from steward.db import Database

SCRIPTS = Path(__file__).parent / "migrations"


def _config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def _run(db: Database, fn: str, revision: str) -> None:
    config = _config(db)
    with db.engine.connect() as conn:
        config.attributes["connection"] = conn
        getattr(command, fn)(config, revision)
        conn.commit()


def up(db: Database, revision: str = "head") -> None:
    _run(db, "upgrade", revision)


def down(db: Database, revision: str = "-1") -> None:
    _run(db, "downgrade", revision)


def status(db: Database) -> tuple[str | None, str | None]:
    """(current revision, head revision)."""
    script = ScriptDirectory.from_config(_config(db))
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, script.get_current_head()
