"""What every cockpit page shares: templates, the operator's session, CSRF-checked forms, and
redirects that carry a flash message or an error. No JavaScript: every action is a POST form
carrying the session's CSRF token."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from steward.errors import StewardError
from steward.operators import service as auth
from steward.runtime import Runtime

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
PAGE = 50
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def mount(app: FastAPI, _runtime: Runtime) -> None:
    app.mount("/cockpit/static", StaticFiles(directory=str(HERE / "static")), name="cockpit-static")


def runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def login(request: Request) -> auth.Login:
    current = auth.session_of(runtime(request), request.cookies.get(auth.COOKIE))
    if current is None:
        raise HTTPException(303, headers={"Location": "/cockpit/login"})
    return current


def render(request: Request, name: str, login: auth.Login | None, **context: Any) -> HTMLResponse:
    context.update(
        request=request,
        login=login,
        csrf=login.csrf if login else "",
        flash=request.query_params.get("flash", ""),
        error=request.query_params.get("error", ""),
    )
    return templates.TemplateResponse(request, name, context)


async def form(request: Request) -> tuple[auth.Login, dict[str, str]]:
    """The logged-in operator and the posted form, refused (403) without the session's CSRF."""
    current = await run_in_threadpool(login, request)
    body = (await request.body()).decode("utf-8", "replace")
    fields = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
    if not hmac.compare_digest(fields.get("csrf", "").encode(), current.csrf.encode()):
        raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page")
    return current, fields


def back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def then(message: str, action: Callable[[], object]) -> Callable[[], str]:
    def run() -> str:
        action()
        return message

    return run


async def act(path: str, fn: Callable[[], str]) -> RedirectResponse:
    try:
        message = await run_in_threadpool(fn)
    except StewardError as exc:
        return back(path, error=exc.message)
    return back(path, flash=message)


def to_int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
