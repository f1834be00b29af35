"""Cockpit pages over provisioning runs (with retry) and pools; the work is the provisioning
domain's own services, which audit the retry themselves."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from steward.cockpit import web
from steward.pools import service as pools
from steward.provisioning import repository as runs
from steward.provisioning import service
from steward.provisioning.service import parse_state

router = APIRouter(prefix="/cockpit", include_in_schema=False)


@router.get("/provisioning", response_class=HTMLResponse)
def runs_page(request: Request) -> HTMLResponse:

    login = web.login(request)
    p = request.query_params
    offset = web.to_int(p.get("offset"))
    state = p.get("state") or None
    with web.runtime(request).db.read() as session:
        rows, total = runs.search(
            session,
            state=parse_state(state),
            tenant_id=p.get("tenant_id") or None,
            limit=web.PAGE,
            offset=offset,
        )
    return web.render(
        request,
        "provisioning.html",
        login,
        rows=rows,
        total=total,
        q=dict(p),
        offset=offset,
        page=web.PAGE,
        states=["pending", "processing", "waiting", "complete", "failed", "canceled"],
    )


@router.post("/provisioning/{run_id}/retry")
async def retry_run(request: Request, run_id: int) -> Response:

    login, _ = await web.form(request)
    runtime = web.runtime(request)

    def retry() -> None:
        with runtime.db.transaction() as session:
            service.retry(session, runtime, run_id, actor=login.email)

    return await web.act("/cockpit/provisioning", web.then(f"Run {run_id} retried.", retry))


@router.get("/pools", response_class=HTMLResponse)
def pools_page(request: Request) -> HTMLResponse:

    login = web.login(request)
    with web.runtime(request).db.read() as session:
        levels = pools.levels(session)
    return web.render(request, "pools.html", login, levels=levels)
