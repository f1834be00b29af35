"""Queries on reconciliation runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.kit import transitions
from steward.kit.repository import get_or_404
from steward.kit.transitions import Moved
from steward.wallets.models import RUN_TRANSITIONS, ReconciliationRun, RunStatus

R = cast(sa.Table, ReconciliationRun.__table__)
COUNTERS = (
    "calls_seen",
    "already_billed",
    "newly_billed",
    "unpaid",
    "amount_recovered",
    "unpriced",
)


def open_run(
    session: Session, run_id: str, provider: str, start: datetime, end: datetime, now: datetime
) -> ReconciliationRun:
    """The run, created on first call; the same id returns the existing run."""
    found = session.get(ReconciliationRun, run_id)
    if found is not None:
        return found
    run = ReconciliationRun(
        id=run_id,
        provider=provider,
        window_from=start,
        window_to=end,
        status=RunStatus.RUNNING,
        cursor=None,
        pages=0,
        unpriced_sample="[]",
        started_at=now,
        **dict.fromkeys(COUNTERS, 0),
    )
    session.add(run)
    session.flush()
    return run


def get(session: Session, run_id: str, *, for_update: bool = False) -> ReconciliationRun:
    return get_or_404(
        session, ReconciliationRun, run_id, "reconciliation run", for_update=for_update
    )


def advance(
    session: Session,
    run_id: str,
    *,
    cursor: str,
    total: int | None,
    add: dict[str, int],
    sample: str,
) -> None:
    values: dict[str, Any] = {name: R.c[name] + add.get(name, 0) for name in COUNTERS}
    values |= {"cursor": cursor, "pages": R.c.pages + 1, "unpriced_sample": sample}
    if total is not None:
        values["total"] = total
    session.execute(sa.update(R).where(R.c.id == run_id).values(**values))


def finish(
    session: Session, run_id: str, target: RunStatus, now: datetime, error: str | None = None
) -> Moved[RunStatus]:
    return transitions.transition(
        session, R, {"id": run_id}, target, table=RUN_TRANSITIONS, what="reconciliation run",
        values={"finished_at": now, "error": error},
    )  # fmt: skip


def recent(session: Session, limit: int = 20) -> list[ReconciliationRun]:
    rows = session.execute(
        sa.select(ReconciliationRun).order_by(ReconciliationRun.started_at.desc()).limit(limit)
    ).scalars()
    return list(rows)


def totals_since(session: Session, since: datetime) -> tuple[int, int]:
    row = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(R.c.calls_seen), 0),
            sa.func.coalesce(sa.func.sum(R.c.newly_billed), 0),
        ).where(R.c.finished_at >= since, R.c.status == RunStatus.COMPLETED.value)
    ).one()
    return int(row[0]), int(row[1])
