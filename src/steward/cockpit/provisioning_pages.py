"""Cockpit pages over provisioning runs (with retry) and pools; the work is the provisioning
domain's own services, which audit the retry themselves."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from steward.cockpit.pages import PAGE, _act, _form, _int, _login, _render, _steward, _then

router = APIRouter(prefix="/cockpit", include_in_schema=False)


@router.get("/provisioning", response_class=HTMLResponse)
def runs_page(request: Request) -> HTMLResponse:
    from steward.provisioning import repository as runs
    from steward.provisioning.service import parse_state

    login = _login(request)
    p = request.query_params
    offset = _int(p.get("offset"))
    state = p.get("state") or None
    with _steward(request).db.read() as session:
        rows, total = runs.search(
            session,
            state=parse_state(state),
            tenant_id=p.get("tenant_id") or None,
            limit=PAGE,
            offset=offset,
        )
    return _render(
        request,
        "provisioning.html",
        login,
        rows=rows,
        total=total,
        q=dict(p),
        offset=offset,
        page=PAGE,
        states=["pending", "processing", "waiting", "complete", "failed", "canceled"],
    )


@router.post("/provisioning/{run_id}/retry")
async def retry_run(request: Request, run_id: int) -> Response:
    from steward.provisioning import service

    login, _ = await _form(request)
    steward = _steward(request)

    def retry() -> None:
        with steward.db.transaction() as session:
            service.retry(session, steward, run_id, actor=login.email)

    return await _act("/cockpit/provisioning", _then(f"Run {run_id} retried.", retry))


@router.get("/pools", response_class=HTMLResponse)
def pools_page(request: Request) -> HTMLResponse:
    from steward.pools import service as pools

    login = _login(request)
    with _steward(request).db.read() as session:
        levels = pools.levels(session)
    return _render(request, "pools.html", login, levels=levels)
