"""Alembic environment: runs on the connection Steward hands it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from steward.db import make_engine

config = context.config
connection = config.attributes.get("connection")


def _run(conn: sa.Connection) -> None:
    context.configure(connection=conn, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
