"""Alembic, driven from Steward: ``steward migrate up|down|status``.

Each domain's tables may live on a branch of their own from ``0001_core`` (a ``branch_labels``
name), so ``up`` goes to every head and ``down base`` reverts them all."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from steward.db import Database
from steward.errors import StewardError


class MigrationError(StewardError):
    """A migration command could not run."""

    code = "migration_error"


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
        try:
            getattr(command, fn)(config, revision)
        except CommandError as exc:
            raise MigrationError(f"migrate: {exc}") from exc
        conn.commit()


def up(db: Database, revision: str = "heads") -> None:
    _run(db, "upgrade", revision)


def down(db: Database, revision: str = "-1") -> None:
    _run(db, "downgrade", revision)


def status(db: Database) -> tuple[str | None, str | None]:
    """(current revisions, head revisions), each comma-joined; a domain may be its own branch."""
    script = ScriptDirectory.from_config(_config(db))
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    heads = script.get_heads()
    return (",".join(sorted(current)) or None), ",".join(sorted(heads))
