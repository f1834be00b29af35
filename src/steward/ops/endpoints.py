"""Health (process up), readiness (database and backlog), Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from steward import metrics
from steward.api.deps import RuntimeDep, require_operator
from steward.config import Mode
from steward.errors import Unauthorized
from steward.inbox import repository as inbox_repo
from steward.inbox.repository import Backlog
from steward.runtime import Runtime

router = APIRouter(tags=["operations"])


def _backlog(runtime: Runtime) -> Backlog:
    with runtime.db.read() as session:
        return inbox_repo.backlog(session)


def _detail_allowed(request: Request, runtime: Runtime) -> bool:
    """In production, backlog figures and metrics are for operators (Prometheus sends the admin
    token as a bearer token); elsewhere, for anyone."""
    if runtime.settings.mode is not Mode.PRODUCTION:
        return True
    try:
        require_operator(request, runtime, request.headers.get("authorization"))
    except Unauthorized:
        return False
    return True


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """503 when the database is unreachable or the oldest unapplied event is too old. In
    production an anonymous caller gets the status alone."""
    body: dict[str, Any] = {"status": "ready", "database": "ok"}
    detail = _detail_allowed(request, runtime)
    try:
        backlog = _backlog(runtime)
    except Exception as exc:
        body.update(status="not_ready", database=f"unreachable: {type(exc).__name__}")
        return JSONResponse(body if detail else {"status": "not_ready"}, status_code=503)
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
    code = 503 if body["status"] == "not_ready" else 200
    return JSONResponse(body if detail else {"status": body["status"]}, status_code=code)


@router.get("/metrics")
def prometheus(request: Request, runtime: RuntimeDep) -> Response:
    if not _detail_allowed(request, runtime):
        raise Unauthorized("metrics are for operators: send Authorization: Bearer <admin token>")
    backlog = _backlog(runtime)
    for status in ("pending", "retrying", "failed", "dead"):
        metrics.BACKLOG.labels(status=status).set(getattr(backlog, status))
    age = 0.0
    if backlog.oldest_open_received_at is not None:
        age = (runtime.clock.now() - backlog.oldest_open_received_at).total_seconds()
    metrics.OLDEST_OPEN_AGE.set(max(0.0, age))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
