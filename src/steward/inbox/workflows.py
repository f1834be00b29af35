"""The inbox's durable upkeep: a sweep that publishes backlog gauges and wakes the workers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dbos import DBOS

from steward import metrics
from steward.inbox import repository as repo
from steward.inbox.service import Inbox
from steward.runtime import current


@DBOS.workflow(name="steward.inbox.sweep")
def inbox_sweep(scheduled_at: datetime, _context: Any) -> None:
    """Every minute: publish backlog gauges and wake workers, so nothing waits in silence."""
    sweep_backlog()


@DBOS.step(name="steward.inbox.sweep_backlog")
def sweep_backlog() -> None:
    runtime = current()
    with runtime.db.read() as session:
        backlog = repo.backlog(session)
    for status in ("pending", "retrying", "failed", "dead"):
        metrics.BACKLOG.labels(status=status).set(getattr(backlog, status))
    if backlog.pending or backlog.retrying:
        runtime.service(Inbox).wakeup.set()
