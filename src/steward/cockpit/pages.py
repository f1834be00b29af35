"""The cockpit: server-rendered pages at ``/cockpit`` over every domain. No JavaScript: every
action is a POST form carrying the session's CSRF token; every page gets strict security headers.
Reads are sync handlers (run in the thread pool); form posts parse the body, then do the work in
the thread pool too."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from steward.alerts import repository as alerts_repo
from steward.alerts.models import AlertStatus
from steward.alerts.service import AlertLog
from steward.audit import service as audit
from steward.cockpit import repository as repo
from steward.cockpit import web
from steward.cockpit.masking import masked_payload
from steward.errors import StewardError
from steward.inbox import repository as inbox_repo
from steward.inbox.models import EventStatus
from steward.inbox.service import Inbox
from steward.operators import service as auth

router = APIRouter(prefix="/cockpit", include_in_schema=False)


# -- login ----------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return web.render(request, "login.html", None)


@router.post("/login")
async def login_post(request: Request) -> Response:
    body = (await request.body()).decode("utf-8", "replace")
    form = {k: v[-1] for k, v in parse_qs(body).items()}
    runtime = web.runtime(request)
    try:
        login = await run_in_threadpool(
            auth.login, runtime, form.get("email", ""), form.get("password", "")
        )
    except StewardError:
        return web.back("/cockpit/login", error="Wrong email or password.")
    response = RedirectResponse("/cockpit", status_code=303)
    response.set_cookie(
        auth.COOKIE,
        login.token,
        max_age=runtime.settings.operator_session_seconds,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.mode == "production",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    login, _ = await web.form(request)
    await run_in_threadpool(auth.logout, web.runtime(request), login.token)
    response = RedirectResponse("/cockpit/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


# -- home -----------------------------------------------------------------------------------------
@router.get("", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    login = web.login(request)
    runtime = web.runtime(request)
    with runtime.db.read() as session:
        backlog = inbox_repo.backlog(session)
    age = 0.0
    if backlog.oldest_open_received_at is not None:
        age = (runtime.clock.now() - backlog.oldest_open_received_at).total_seconds()
    with runtime.db.read() as session:
        severities = alerts_repo.active_by_severity(session)
        recent = repo.recent_audit(session)
    flags_off = [f for f in runtime.flags.states() if not f.enabled]
    return web.render(
        request,
        "home.html",
        login,
        backlog=backlog,
        age=int(max(0.0, age)),
        severities=severities,
        recent=recent,
        flags_off=flags_off,
        ready=age <= runtime.settings.ready_max_backlog_age_seconds,
    )


# -- alerts ---------------------------------------------------------------------------------------
@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> HTMLResponse:
    login = web.login(request)
    runtime = web.runtime(request)
    p = request.query_params
    status = p.get("status", "active")
    offset = web.to_int(p.get("offset"))
    f = alerts_repo.AlertFilter(
        p.get("alert_type") or None,
        p.get("severity") or None,
        p.get("resource_id") or None,
        p.get("tenant_id") or None,
        AlertStatus(status) if status in AlertStatus.__members__.values() else None,
    )
    with runtime.db.read() as session:
        if p.get("alert_id"):
            one = alerts_repo.get(session, web.to_int(p.get("alert_id")))
            rows, total = [one], 1
        else:
            rows, total = alerts_repo.search(session, f, limit=web.PAGE, offset=offset)
            if status == "active":
                rows = [r for r in rows if r.status is not AlertStatus.RESOLVED]
        history = alerts_repo.history_of(session, [r.id for r in rows]) if p.get("alert_id") else []
    return web.render(
        request,
        "alerts.html",
        login,
        rows=rows,
        total=total,
        offset=offset,
        page=web.PAGE,
        q=dict(p),
        rules=sorted(runtime.service(AlertLog).rules),
        status=status,
        history=history,
    )


@router.post("/alerts/{alert_id}/{action}")
async def alert_action(request: Request, alert_id: int, action: str) -> Response:
    login, form = await web.form(request)
    alerts = web.runtime(request).service(AlertLog)
    back = form.get("back", "")
    back = back if back.startswith("/cockpit/") else "/cockpit/alerts"
    if action == "ack":
        return await web.act(
            back,
            web.then(
                f"Alert {alert_id} acknowledged.",
                lambda: alerts.acknowledge(alert_id, actor=login.email),
            ),
        )
    if action == "resolve":
        return await web.act(
            back,
            web.then(
                f"Alert {alert_id} resolved.", lambda: alerts.resolve(alert_id, actor=login.email)
            ),
        )
    raise HTTPException(404)


# -- events ---------------------------------------------------------------------------------------
@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request) -> HTMLResponse:
    login = web.login(request)
    p = request.query_params
    status = p.get("status", "")
    wanted = EventStatus(status) if status in EventStatus.__members__.values() else None
    offset = web.to_int(p.get("offset"))
    with web.runtime(request).db.read() as session:
        rows, total = repo.events(
            session, wanted, p.get("type") or None, p.get("tenant_id") or None, web.PAGE, offset
        )
    return web.render(
        request,
        "events.html",
        login,
        rows=rows,
        total=total,
        q=dict(p),
        offset=offset,
        page=web.PAGE,
        statuses=[s.value for s in EventStatus],
    )


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: int) -> HTMLResponse:
    login = web.login(request)

    with web.runtime(request).db.read() as session:
        event = inbox_repo.get(session, event_id)
        payload = masked_payload(event.payload)
    return web.render(request, "event.html", login, event=event, payload=payload)


@router.post("/events/{event_id}/replay")
async def event_replay(request: Request, event_id: int) -> Response:
    login, _ = await web.form(request)
    runtime = web.runtime(request)
    return await web.act(
        f"/cockpit/events/{event_id}",
        web.then(
            f"Event {event_id} queued again.",
            lambda: runtime.service(Inbox).replay(event_id, login.email),
        ),
    )


# -- kill switches and audit ----------------------------------------------------------------------
@router.get("/flags", response_class=HTMLResponse)
def flags_page(request: Request) -> HTMLResponse:
    login = web.login(request)
    return web.render(request, "flags.html", login, flags=web.runtime(request).flags.states())


@router.post("/flags/{name}")
async def flag_post(request: Request, name: str) -> Response:
    login, form = await web.form(request)
    runtime = web.runtime(request)
    enabled = form.get("enabled") == "on"
    return await web.act(
        "/cockpit/flags",
        web.then(
            f"{name} switched {'on' if enabled else 'off'}.",
            lambda: runtime.flags.set(
                name, enabled, actor=login.email, reason=form.get("reason", "")
            ),
        ),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> HTMLResponse:
    login = web.login(request)

    p = request.query_params
    offset = web.to_int(p.get("offset"))
    with web.runtime(request).db.read() as session:
        rows, total = audit.search(
            session,
            target=p.get("target") or None,
            actor=p.get("actor") or None,
            limit=web.PAGE,
            offset=offset,
        )
    return web.render(
        request,
        "audit.html",
        login,
        rows=rows,
        total=total,
        q=dict(p),
        offset=offset,
        page=web.PAGE,
        loads=json.loads,
    )
