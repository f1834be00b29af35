"""The cockpit: server-rendered pages at ``/cockpit`` over every domain. No JavaScript: every
action is a POST form carrying the session's CSRF token; every page gets strict security headers.
Reads are sync handlers (run in the thread pool); form posts parse the body, then do the work in
the thread pool too."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from steward.alerts import repository as alerts_repo
from steward.alerts.models import AlertStatus
from steward.bootstrap import Steward
from steward.cockpit import actions, auth
from steward.cockpit import repository as repo
from steward.cockpit.masking import masked_payload
from steward.errors import StewardError
from steward.inbox.models import EventStatus

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(prefix="/cockpit", include_in_schema=False)
PAGE = 50
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def install(app: FastAPI) -> None:
    from steward.cockpit import provisioning_pages, tenant_pages

    app.include_router(router)
    app.include_router(tenant_pages.router)
    app.include_router(provisioning_pages.router)
    app.mount("/cockpit/static", StaticFiles(directory=str(HERE / "static")), name="cockpit-static")


def _steward(request: Request) -> Steward:
    steward: Steward = request.app.state.steward
    return steward


def _login(request: Request) -> auth.Login:
    current = auth.session_of(_steward(request), request.cookies.get(auth.COOKIE))
    if current is None:
        raise HTTPException(303, headers={"Location": "/cockpit/login"})
    return current


def _render(request: Request, name: str, login: auth.Login | None, **context: Any) -> HTMLResponse:
    context.update(
        request=request,
        login=login,
        csrf=login.csrf if login else "",
        flash=request.query_params.get("flash", ""),
        error=request.query_params.get("error", ""),
    )
    return templates.TemplateResponse(request, name, context)


async def _form(request: Request) -> tuple[auth.Login, dict[str, str]]:
    """The logged-in operator and the posted form, refused (403) without the session's CSRF."""
    login = await run_in_threadpool(_login, request)
    body = (await request.body()).decode("utf-8", "replace")
    form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
    if not hmac.compare_digest(form.get("csrf", "").encode(), login.csrf.encode()):
        raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page")
    return login, form


def _back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def _then(message: str, action: Callable[[], object]) -> Callable[[], str]:
    def run() -> str:
        action()
        return message

    return run


async def _act(path: str, fn: Callable[[], str]) -> RedirectResponse:
    try:
        message = await run_in_threadpool(fn)
    except StewardError as exc:
        return _back(path, error=exc.message)
    return _back(path, flash=message)


# -- login ----------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _render(request, "login.html", None)


@router.post("/login")
async def login_post(request: Request) -> Response:
    body = (await request.body()).decode("utf-8", "replace")
    form = {k: v[-1] for k, v in parse_qs(body).items()}
    steward = _steward(request)
    try:
        login = await run_in_threadpool(
            auth.login, steward, form.get("email", ""), form.get("password", "")
        )
    except StewardError:
        return _back("/cockpit/login", error="Wrong email or password.")
    response = RedirectResponse("/cockpit", status_code=303)
    response.set_cookie(
        auth.COOKIE,
        login.token,
        max_age=steward.settings.operator_session_seconds,
        httponly=True,
        samesite="strict",
        secure=steward.settings.mode == "production",
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    login, _ = await _form(request)
    await run_in_threadpool(auth.logout, _steward(request), login.token)
    response = RedirectResponse("/cockpit/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


# -- home -----------------------------------------------------------------------------------------
@router.get("", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    login = _login(request)
    steward = _steward(request)
    backlog = steward.backlog()
    age = 0.0
    if backlog.oldest_open_received_at is not None:
        age = (steward.clock.now() - backlog.oldest_open_received_at).total_seconds()
    with steward.db.read() as session:
        severities = alerts_repo.active_by_severity(session)
        recent = repo.recent_audit(session)
    flags_off = [f for f in steward.flags.states() if not f.enabled]
    return _render(
        request,
        "home.html",
        login,
        backlog=backlog,
        age=int(max(0.0, age)),
        severities=severities,
        recent=recent,
        flags_off=flags_off,
        ready=age <= steward.settings.ready_max_backlog_age_seconds,
    )


# -- alerts ---------------------------------------------------------------------------------------
@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> HTMLResponse:
    login = _login(request)
    steward = _steward(request)
    p = request.query_params
    status = p.get("status", "active")
    offset = _int(p.get("offset"))
    f = alerts_repo.AlertFilter(
        p.get("alert_type") or None,
        p.get("severity") or None,
        p.get("resource_id") or None,
        p.get("tenant_id") or None,
        AlertStatus(status) if status in AlertStatus.__members__.values() else None,
    )
    with steward.db.read() as session:
        if p.get("alert_id"):
            one = alerts_repo.get(session, _int(p.get("alert_id")))
            rows, total = [one], 1
        else:
            rows, total = alerts_repo.search(session, f, limit=PAGE, offset=offset)
            if status == "active":
                rows = [r for r in rows if r.status is not AlertStatus.RESOLVED]
        history = alerts_repo.history_of(session, [r.id for r in rows]) if p.get("alert_id") else []
    return _render(
        request,
        "alerts.html",
        login,
        rows=rows,
        total=total,
        offset=offset,
        page=PAGE,
        q=dict(p),
        rules=sorted(steward.alerts.rules),
        status=status,
        history=history,
    )


@router.post("/alerts/{alert_id}/{action}")
async def alert_action(request: Request, alert_id: int, action: str) -> Response:
    login, form = await _form(request)
    alerts = _steward(request).alerts
    back = form.get("back", "")
    back = back if back.startswith("/cockpit/") else "/cockpit/alerts"
    if action == "ack":
        return await _act(
            back,
            _then(
                f"Alert {alert_id} acknowledged.",
                lambda: alerts.acknowledge(alert_id, actor=login.email),
            ),
        )
    if action == "resolve":
        return await _act(
            back,
            _then(
                f"Alert {alert_id} resolved.", lambda: alerts.resolve(alert_id, actor=login.email)
            ),
        )
    raise HTTPException(404)


# -- events ---------------------------------------------------------------------------------------
@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request) -> HTMLResponse:
    login = _login(request)
    p = request.query_params
    status = p.get("status", "")
    wanted = EventStatus(status) if status in EventStatus.__members__.values() else None
    offset = _int(p.get("offset"))
    with _steward(request).db.read() as session:
        rows, total = repo.events(
            session, wanted, p.get("type") or None, p.get("tenant_id") or None, PAGE, offset
        )
    return _render(
        request,
        "events.html",
        login,
        rows=rows,
        total=total,
        q=dict(p),
        offset=offset,
        page=PAGE,
        statuses=[s.value for s in EventStatus],
    )


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: int) -> HTMLResponse:
    login = _login(request)
    from steward.inbox import repository as inbox_repo

    with _steward(request).db.read() as session:
        event = inbox_repo.get(session, event_id)
        payload = masked_payload(event.payload)
    return _render(request, "event.html", login, event=event, payload=payload)


@router.post("/events/{event_id}/replay")
async def event_replay(request: Request, event_id: int) -> Response:
    login, _ = await _form(request)
    steward = _steward(request)
    return await _act(
        f"/cockpit/events/{event_id}",
        _then(
            f"Event {event_id} queued again.",
            lambda: actions.replay_event(steward, event_id, login.email),
        ),
    )


# -- kill switches and audit ----------------------------------------------------------------------
@router.get("/flags", response_class=HTMLResponse)
def flags_page(request: Request) -> HTMLResponse:
    login = _login(request)
    return _render(request, "flags.html", login, flags=_steward(request).flags.states())


@router.post("/flags/{name}")
async def flag_post(request: Request, name: str) -> Response:
    login, form = await _form(request)
    steward = _steward(request)
    enabled = form.get("enabled") == "on"
    return await _act(
        "/cockpit/flags",
        _then(
            f"{name} switched {'on' if enabled else 'off'}.",
            lambda: steward.flags.set(
                name, enabled, actor=login.email, reason=form.get("reason", "")
            ),
        ),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> HTMLResponse:
    login = _login(request)
    from steward.audit import service as audit

    p = request.query_params
    offset = _int(p.get("offset"))
    with _steward(request).db.read() as session:
        rows, total = audit.search(
            session,
            target=p.get("target") or None,
            actor=p.get("actor") or None,
            limit=PAGE,
            offset=offset,
        )
    return _render(
        request,
        "audit.html",
        login,
        rows=rows,
        total=total,
        q=dict(p),
        offset=offset,
        page=PAGE,
        loads=json.loads,
    )


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
