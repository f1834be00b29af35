"""The wizard as server-rendered pages: the same steps as the JSON API (one service), the step
token kept in an HttpOnly, SameSite=Strict cookie scoped to /signup, validation messages shown
beside the form, and a set-up page that refreshes itself by a meta refresh (no JavaScript)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from steward.config import Mode
from steward.customers import ratelimit, web
from steward.errors import StewardError
from steward.runtime import Runtime
from steward.signup import endpoints as api
from steward.signup.schemas import BrandIn, PlanIn, StartIn
from steward.signup.spec import SignupSpec

router = APIRouter(prefix="/signup", include_in_schema=False)
COOKIE = "steward_signup"
STEP_PAGE = {"brand": "/signup/brand", "plan": "/signup/plan", "status": "/signup/setup"}


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _go(runtime: Runtime, path: str, token: str | None = None) -> RedirectResponse:
    response = RedirectResponse(path, status_code=303)
    if token:
        response.set_cookie(
            COOKIE,
            token,
            max_age=runtime.settings.signup_token_ttl_seconds,
            httponly=True,
            secure=runtime.settings.mode is not Mode.DEVELOPMENT,
            samesite="strict",
            path="/signup",
        )
    return response


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()
        )
    if isinstance(exc, StewardError):
        return exc.message
    raise exc


def _closed(request: Request) -> HTMLResponse | None:
    runtime = _runtime(request)
    if not runtime.flags.enabled("signups"):
        return web.render(
            request,
            "signup_start.html",
            503,
            values={},
            error="Signups are paused; try again later.",
        )
    return None


def _bearer(request: Request) -> str:
    return f"Bearer {request.cookies.get(COOKIE, '')}"


@router.get("", response_class=HTMLResponse)
def start_page(request: Request) -> HTMLResponse:
    return _closed(request) or web.render(request, "signup_start.html", values={})


@router.post("")
async def start(request: Request) -> Response:
    runtime = _runtime(request)
    if (closed := _closed(request)) is not None:
        return closed
    fields = await web.form(request)
    values = {k: fields.get(k, "").strip() for k in ("name", "email", "slug")}
    try:
        body = StartIn(**{**values, "slug": values["slug"] or None})
        await run_in_threadpool(api.start_limit, request, runtime)
        spec = api.spec_of(runtime)
        answer = await run_in_threadpool(api.start, body, runtime, spec, None)
    except ratelimit.RateLimited as exc:
        return web.render(request, "signup_start.html", 429, values=values, error=exc.message)
    except (ValidationError, StewardError) as exc:
        suggestions = getattr(exc, "details", {}).get("suggestions", [])
        status = getattr(exc, "http_status", 422)
        return web.render(
            request,
            "signup_start.html",
            status,
            values=values,
            error=_message(exc),
            suggestions=suggestions,
        )
    return _go(runtime, "/signup/brand", answer["token"])


def _step_form(
    request: Request, template: str, fields: dict[str, str], exc: Exception, **extra: Any
) -> HTMLResponse:
    status = getattr(exc, "http_status", 422)
    if status == 401:  # the step token is gone or stale: start again (the data is kept)
        return web.render(
            request,
            "signup_start.html",
            401,
            values={},
            error="Your signup session expired; please start again.",
        )
    return web.render(request, template, status, values=fields, error=_message(exc), **extra)


@router.get("/brand", response_class=HTMLResponse)
def brand_page(request: Request) -> HTMLResponse:
    return _closed(request) or web.render(request, "signup_brand.html", values={})


@router.post("/brand")
async def brand(request: Request) -> Response:
    runtime = _runtime(request)
    if (closed := _closed(request)) is not None:
        return closed
    fields = await web.form(request)
    try:
        body = BrandIn(
            primary_color=fields.get("primary_color", ""),
            secondary_color=fields.get("secondary_color", ""),
            logo_url=fields.get("logo_url") or None,
        )
        answer = await run_in_threadpool(
            api.brand, body, runtime, api.spec_of(runtime), _bearer(request), None
        )
    except (ValidationError, StewardError) as exc:
        return _step_form(request, "signup_brand.html", fields, exc)
    return _go(runtime, "/signup/plan", answer["token"])


def _plan_context(runtime: Runtime) -> dict[str, Any]:
    spec = runtime.service(SignupSpec)
    plans = [(runtime.product.plan(key), inputs) for key, inputs in spec.plans.items()]
    urls = sorted({u for _, inputs in plans for u in inputs.urls})
    return {"plans": plans, "url_inputs": urls, "any_confirm": any(i.confirm for _, i in plans)}


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request) -> HTMLResponse:
    runtime = _runtime(request)
    return _closed(request) or web.render(
        request, "signup_plan.html", values={}, **_plan_context(runtime)
    )


@router.post("/plan")
async def plan(request: Request) -> Response:
    runtime = _runtime(request)
    if (closed := _closed(request)) is not None:
        return closed
    fields = await web.form(request)
    spec = api.spec_of(runtime)
    key = fields.get("plan", "")
    wants = spec.plans.get(key)
    inputs: dict[str, str | bool] = {}
    if wants is not None:
        inputs = {name: fields.get(name, "") for name in wants.urls}
        if wants.confirm:
            inputs["confirm"] = fields.get("confirm") == "true"
    try:
        body = PlanIn(plan=key, inputs=inputs)
        answer = await run_in_threadpool(api.plan, body, runtime, spec, _bearer(request), None)
    except (ValidationError, StewardError) as exc:
        return _step_form(request, "signup_plan.html", fields, exc, **_plan_context(runtime))
    if answer.get("checkout_url"):
        response = _go(runtime, "/signup/setup", answer["token"])
        response.headers["location"] = answer["checkout_url"]
        return response
    return _go(runtime, "/signup/setup", answer["token"])


@router.get("/setup", response_class=HTMLResponse)
def setup(request: Request) -> HTMLResponse:
    """Where the signup stands; refreshes itself every few seconds until the site is ready."""
    runtime = _runtime(request)
    if (closed := _closed(request)) is not None:
        return closed
    try:
        status = api.status(runtime, api.spec_of(runtime), _bearer(request))
    except StewardError as exc:
        return web.render(
            request, "signup_start.html", exc.http_status, values={}, error=_message(exc)
        )
    ready = status["provisioning"] == "complete"
    page = web.render(
        request, "signup_setup.html", status=status, ready=ready, refresh=None if ready else 3
    )
    page.set_cookie(
        COOKIE,
        status["token"],
        max_age=runtime.settings.signup_token_ttl_seconds,
        httponly=True,
        secure=runtime.settings.mode is not Mode.DEVELOPMENT,
        samesite="strict",
        path="/signup",
    )
    return page
