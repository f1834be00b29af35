"""Cockpit pages over tenants: search, the detail page with its merged timeline, and the tenant
actions (mute, unmute, resets, dry run and the hard delete)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from steward.alerts import repository as alerts_repo
from steward.cockpit import repository as repo
from steward.cockpit.delete import delete_tenant
from steward.cockpit.pages import PAGE, _act, _back, _form, _int, _login, _render, _steward
from steward.errors import StewardError
from steward.tenants import repository as tenants_repo

router = APIRouter(prefix="/cockpit", include_in_schema=False)


@router.get("/tenants", response_class=HTMLResponse)
def tenants_page(request: Request) -> HTMLResponse:
    login = _login(request)
    q, offset = request.query_params.get("q", ""), _int(request.query_params.get("offset"))
    with _steward(request).db.read() as session:
        rows, total = repo.tenants(session, q, PAGE, offset)
    return _render(
        request, "tenants.html", login, rows=rows, total=total, q=q, offset=offset, page=PAGE
    )


@router.get("/tenants/{tenant_id}", response_class=HTMLResponse)
def tenant_page(request: Request, tenant_id: str) -> HTMLResponse:
    login = _login(request)
    steward = _steward(request)
    with steward.db.read() as session:
        tenant = tenants_repo.find(session, tenant_id)
        if tenant is None:
            raise HTTPException(404, f"tenant {tenant_id} does not exist")
        mute = alerts_repo.mute_of(session, tenant_id)
        if mute is not None and mute.until is not None and mute.until <= steward.clock.now():
            mute = None
        timeline = repo.tenant_timeline(session, tenant_id)
    dry = None
    if request.query_params.get("dry_run"):
        dry = delete_tenant(
            steward,
            tenant_id,
            confirm=request.query_params.get("confirm", ""),
            actor=login.email,
            dry_run=True,
        )
    return _render(
        request, "tenant.html", login, tenant=tenant, mute=mute, timeline=timeline, dry=dry
    )


@router.post("/tenants/{tenant_id}/{action}")
async def tenant_action(request: Request, tenant_id: str, action: str) -> Response:
    login, form = await _form(request)
    steward = _steward(request)
    back = f"/cockpit/tenants/{tenant_id}"
    actor = login.email

    def mute() -> str:
        minutes = _int(form.get("minutes"))
        until = steward.clock.now() + timedelta(minutes=minutes) if minutes else None
        steward.alerts.mute(tenant_id, actor=actor, until=until, reason=form.get("reason", ""))
        return "Alerts muted" + (f" for {minutes} minutes." if minutes else " until unmuted.")

    def unmute() -> str:
        steward.alerts.unmute(tenant_id, actor=actor)
        return "Alerts unmuted."

    def reset(kind: str) -> str:
        closed = steward.alerts.reset(tenant_id, kind, actor=actor)
        return f"{len(closed)} {kind} alert(s) reset."

    def delete() -> str:
        plan = delete_tenant(steward, tenant_id, confirm=form.get("confirm", ""), actor=actor)
        return f"Tenant {plan.name} deleted ({sum(plan.rows.values())} rows)."

    handlers: dict[str, Callable[[], str]] = {
        "mute": mute,
        "unmute": unmute,
        "reset-payment": lambda: reset("payment"),
        "reset-stuck": lambda: reset("stuck"),
        "delete": delete,
    }
    if action not in handlers:
        raise HTTPException(404)
    if action == "delete":
        try:
            message = await run_in_threadpool(delete)
        except StewardError as exc:
            return _back(back, error=exc.message)
        return _back("/cockpit/tenants", flash=message)
    return await _act(back, handlers[action])
