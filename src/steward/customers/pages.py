"""Customer pages: sign in by emailed link, and the account (plan, billing, cancel, set-up)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from steward.customers import ratelimit, service, web
from steward.customers.endpoints import set_cookie, signin_limit
from steward.errors import StewardError
from steward.provisioning import repository as provisioning_repo
from steward.runtime import Runtime
from steward.subscriptions import service as subscriptions
from steward.tenants import repository as tenants_repo

router = APIRouter(prefix="/account", include_in_schema=False)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _go(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> HTMLResponse:
    return web.render(request, "signin.html")


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> HTMLResponse:
    runtime = _runtime(request)
    fields = await web.form(request)
    try:
        await run_in_threadpool(signin_limit, request, runtime)
    except ratelimit.RateLimited as exc:
        return web.render(request, "signin.html", 429, error=exc.message)
    email = fields.get("email", "")[:320]
    if "@" in email:
        await run_in_threadpool(service.request_sign_in, runtime, email)
    return web.render(request, "signin.html", sent=True)


@router.get("/link/{token}", response_class=HTMLResponse)
def link_page(request: Request, token: str) -> HTMLResponse:
    """The emailed link shows a button: a mail scanner's GET does not use the link up."""
    return web.render(request, "link.html", token=token[:100])


@router.post("/link")
async def redeem(request: Request) -> Response:
    runtime = _runtime(request)
    fields = await web.form(request)
    try:
        redeemed = await run_in_threadpool(service.redeem, runtime, fields.get("token", "")[:100])
    except service.InvalidLink as exc:
        return web.render(request, "signin.html", 401, error=exc.message)
    response = _go("/account")
    set_cookie(response, runtime, redeemed.session_token)
    return response


def _customer(request: Request) -> service.Customer | None:
    return service.session_of(_runtime(request), request.cookies.get(service.COOKIE))


@router.get("", response_class=HTMLResponse)
def account(request: Request) -> Response:
    customer = _customer(request)
    if customer is None:
        return _go("/account/signin")
    runtime = _runtime(request)
    with runtime.db.read() as session:
        tenant = tenants_repo.get(session, customer.tenant_id)
        runs, _ = provisioning_repo.search(session, tenant_id=customer.tenant_id, limit=20)
        return web.render(
            request,
            "account.html",
            tenant=tenant,
            runs=runs,
            csrf=customer.csrf,
            flash=request.query_params.get("flash", "")[:200],
            error=request.query_params.get("error", "")[:300],
        )


async def _checked(request: Request) -> service.Customer | None:
    """The signed-in customer, when the form echoes the session's CSRF token."""
    customer = await run_in_threadpool(_customer, request)
    fields = await web.form(request)
    if customer is None or not hmac.compare_digest(
        fields.get("csrf", "").encode(), customer.csrf.encode()
    ):
        return None
    return customer


@router.post("/billing")
async def billing(request: Request) -> Response:
    customer = await _checked(request)
    if customer is None:
        return _go("/account/signin")
    runtime = _runtime(request)
    back = runtime.settings.public_url.rstrip("/") + "/account"
    try:
        url = await run_in_threadpool(subscriptions.portal_url, runtime, customer.tenant_id, back)
    except StewardError as exc:
        return _go(f"/account?error={exc.code}")
    return RedirectResponse(url, status_code=303)


@router.post("/cancel")
async def cancel(request: Request) -> Response:
    customer = await _checked(request)
    if customer is None:
        return _go("/account/signin")
    try:
        await run_in_threadpool(subscriptions.cancel, _runtime(request), customer.tenant_id)
    except StewardError as exc:
        return _go(f"/account?error={exc.code}")
    return _go("/account?flash=canceled")


@router.post("/logout")
async def logout(request: Request) -> Response:
    customer = await _checked(request)
    if customer is not None:
        await run_in_threadpool(
            service.logout, _runtime(request), request.cookies.get(service.COOKIE)
        )
    response = _go("/account/signin")
    response.delete_cookie(service.COOKIE, path="/")
    return response
