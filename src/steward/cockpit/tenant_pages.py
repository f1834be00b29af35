"""Cockpit pages over tenants: search, the detail page with its merged timeline, and the tenant
actions (mute, unmute, resets, dry run and the hard delete)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from steward.alerts import repository as alerts_repo
from steward.alerts.service import AlertLog
from steward.cockpit import repository as repo
from steward.cockpit import web
from steward.cockpit.delete import delete_tenant
from steward.cockpit.masking import mask, scrub
from steward.errors import InvalidInput, StewardError
from steward.onboarding import repository as onboarding_repo
from steward.onboarding.models import Conversation, FactKind
from steward.subscriptions import activation
from steward.tenants import repository as tenants_repo

router = APIRouter(prefix="/cockpit", include_in_schema=False)


@router.get("/tenants", response_class=HTMLResponse)
def tenants_page(request: Request) -> HTMLResponse:
    login = web.login(request)
    q, offset = request.query_params.get("q", ""), web.to_int(request.query_params.get("offset"))
    with web.runtime(request).db.read() as session:
        rows, total = repo.tenants(session, q, web.PAGE, offset)
    return web.render(
        request, "tenants.html", login, rows=rows, total=total, q=q, offset=offset, page=web.PAGE
    )


@router.get("/tenants/{tenant_id}", response_class=HTMLResponse)
def tenant_page(request: Request, tenant_id: str) -> HTMLResponse:
    login = web.login(request)
    runtime = web.runtime(request)
    with runtime.db.read() as session:
        tenant = tenants_repo.find(session, tenant_id)
        if tenant is None:
            raise HTTPException(404, f"tenant {tenant_id} does not exist")
        mute = alerts_repo.mute_of(session, tenant_id)
        if mute is not None and mute.until is not None and mute.until <= runtime.clock.now():
            mute = None
        timeline = repo.tenant_timeline(session, tenant_id)
        onboarding = _onboarding(session, onboarding_repo.by_tenant(session, tenant_id))
    dry = None
    if request.query_params.get("dry_run"):
        dry = delete_tenant(
            runtime,
            tenant_id,
            confirm=request.query_params.get("confirm", ""),
            actor=login.email,
            dry_run=True,
        )
    return web.render(
        request,
        "tenant.html",
        login,
        tenant=tenant,
        mute=mute,
        timeline=timeline,
        dry=dry,
        onboarding=onboarding,
    )


def _onboarding(session: Session, conv: Conversation | None) -> dict[str, Any] | None:
    """The conversation as the cockpit shows it: message bodies and personal answers masked."""
    if conv is None:
        return None
    facts = onboarding_repo.facts(session, conv.id)
    return {
        "state": conv.state,
        "status": conv.status.value,
        "since": conv.state_entered_at,
        "answers": scrub({f.name: f.value for f in facts if f.kind is FactKind.ANSWER}),
        "signals": sorted(f.name for f in facts if f.kind is FactKind.SIGNAL),
        "transitions": onboarding_repo.transitions(session, conv.id),
        "turns": [
            {"at": t.at, "direction": t.direction, "state": t.state, "body": mask(t.body)}
            for t in onboarding_repo.turns(session, conv.id, limit=50)
        ],
    }


def _no_reason() -> str:
    raise InvalidInput("reason: say why the tenant is activated by hand", field="reason")


@router.post("/tenants/{tenant_id}/{action}")
async def tenant_action(request: Request, tenant_id: str, action: str) -> Response:
    login, form = await web.form(request)
    runtime = web.runtime(request)
    back = f"/cockpit/tenants/{tenant_id}"
    actor = login.email

    def mute() -> str:
        minutes = web.to_int(form.get("minutes"))
        until = runtime.clock.now() + timedelta(minutes=minutes) if minutes else None
        runtime.service(AlertLog).mute(
            tenant_id, actor=actor, until=until, reason=form.get("reason", "")
        )
        return "Alerts muted" + (f" for {minutes} minutes." if minutes else " until unmuted.")

    def unmute() -> str:
        runtime.service(AlertLog).unmute(tenant_id, actor=actor)
        return "Alerts unmuted."

    def reset(kind: str) -> str:
        closed = runtime.service(AlertLog).reset(tenant_id, kind, actor=actor)
        return f"{len(closed)} {kind} alert(s) reset."

    def activate() -> str:
        done = activation.activate(
            runtime,
            tenant_id,
            reference=form.get("stripe_reference") or None,
            reason=form.get("reason", "").strip() or _no_reason(),
            actor=actor,
        )
        return f"Activated by hand: {done.status} on {done.subscription}."

    def delete() -> str:
        plan = delete_tenant(runtime, tenant_id, confirm=form.get("confirm", ""), actor=actor)
        return f"Tenant {plan.name} deleted ({sum(plan.rows.values())} rows)."

    handlers: dict[str, Callable[[], str]] = {
        "mute": mute,
        "unmute": unmute,
        "reset-payment": lambda: reset("payment"),
        "reset-stuck": lambda: reset("stuck"),
        "activate": activate,
        "delete": delete,
    }
    if action not in handlers:
        raise HTTPException(404)
    if action == "delete":
        try:
            message = await run_in_threadpool(delete)
        except StewardError as exc:
            return web.back(back, error=exc.message)
        return web.back("/cockpit/tenants", flash=message)
    return await web.act(back, handlers[action])
