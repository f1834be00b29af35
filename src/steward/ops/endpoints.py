"""Health (process up), readiness (database and backlog), Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from steward import metrics
from steward.api.deps import RuntimeDep
from steward.inbox import repository as inbox_repo
from steward.inbox.repository import Backlog
from steward.runtime import Runtime

router = APIRouter(tags=["operations"])


def _backlog(runtime: Runtime) -> Backlog:
    with runtime.db.read() as session:
        return inbox_repo.backlog(session)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """503 when the database is unreachable or the oldest unapplied event is too old."""
    body: dict[str, Any] = {"status": "ready", "database": "ok"}
    try:
        backlog = _backlog(runtime)
    except Exception as exc:
        body.update(status="not_ready", database=f"unreachable: {type(exc).__name__}")
        return JSONResponse(body, status_code=503)
    age = 0.0
    if backlog.oldest_open_received_at is not None:
        age = max(0.0, (runtime.clock.now() - backlog.oldest_open_received_at).total_seconds())
    limit = runtime.settings.ready_max_backlog_age_seconds
    body.update(
        queue_depth=backlog.pending + backlog.retrying,
        pending=backlog.pending,
        retrying=backlog.retrying,
        failed=backlog.failed,
        dead_letters=backlog.dead,
        oldest_unprocessed_age_seconds=round(age, 3),
    )
    if age > limit:
        body["status"] = "not_ready"
        body["reason"] = f"the oldest unprocessed event is {int(age)} s old (limit {limit} s)"
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)


@router.get("/metrics")
def prometheus(runtime: RuntimeDep) -> Response:
    backlog = _backlog(runtime)
    for status in ("pending", "retrying", "failed", "dead"):
        metrics.BACKLOG.labels(status=status).set(getattr(backlog, status))
    age = 0.0
    if backlog.oldest_open_received_at is not None:
        age = (runtime.clock.now() - backlog.oldest_open_received_at).total_seconds()
    metrics.OLDEST_OPEN_AGE.set(max(0.0, age))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
