"""What the customer pages share: templates, a strict CSP (no script at all), posted forms, and
the static stylesheet. No JavaScript and no third-party CSS: forms POST, pages refresh by meta."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from steward.customers import ratelimit
from steward.runtime import Runtime

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' https:; "
    "form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def mount(app: FastAPI, runtime: Runtime) -> None:
    ratelimit.install(app, runtime)
    app.mount("/account/static", StaticFiles(directory=str(HERE / "static")), name="account-static")


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    context.update(request=request, product=runtime.product.name)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


async def form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")[:20000]
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
