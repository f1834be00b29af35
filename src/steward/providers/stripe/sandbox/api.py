"""The sandbox over HTTP: Stripe's REST conventions and a few controls under ``/_sandbox``.

Stripe's conventions, as the SDK relies on them: form-encoded nested parameters
(``metadata[k]=v``, ``line_items[0][price_data][unit_amount]=900``, ``expand[0]=customer``),
``Authorization: Bearer sk_test_...``, ``Idempotency-Key`` on POSTs (the first response is stored
and replayed, ``Idempotent-Replayed: true``), unknown top-level parameters refused, and errors as
``{"error": {"type", "message", "code", "param"}}`` with a 4xx status."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import html
import json
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from stripe.params import CustomerCreateParams, EventListParams
from stripe.params.checkout import SessionCreateParams

from steward.providers.stripe.sandbox.catalog import install as install_catalog
from steward.providers.stripe.sandbox.lifecycle import install as install_lifecycle
from steward.providers.stripe.sandbox.params import known as _known
from steward.providers.stripe.sandbox.payments import install as install_payments
from steward.providers.stripe.sandbox.state import (
    API_VERSION,
    JSON,
    SandboxError,
    invalid,
    stripe_list,
)

if TYPE_CHECKING:
    from steward.providers.stripe.sandbox import StripeSandbox

Action = Callable[[JSON, JSON], JSON]  # (params, {"id": request id, "idempotency_key"}) -> object
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_TEST_KEY = re.compile(r"(sk|rk)_test_[A-Za-z0-9_]+")
_COLLECTIONS = {
    "customers": "customer",
    "events": "event",
    "invoices": "invoice",
    "prices": "price",
    "products": "product",
    "subscriptions": "subscription",
    "webhook_endpoints": "webhook_endpoint",
}
_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details."
)


EXPAND_ONLY = frozenset({"expand"})
CUSTOMER_PARAMS = _known(CustomerCreateParams)
SESSION_PARAMS = _known(SessionCreateParams)
EVENT_LIST_PARAMS = _known(EventListParams)


def parse_params(raw: str) -> JSON:
    """Stripe's form encoding, nested: ``a[0][b]=1`` -> ``{"a": [{"b": "1"}]}``."""
    root: JSON = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        head, bracket, rest = key.partition("[")
        parts = [head, *_SEGMENT.findall(bracket + rest)]
        if not head or "".join(f"[{p}]" for p in parts[1:]) != bracket + rest:
            raise invalid(f"Invalid parameter name: {key}", key)
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part or str(len(node)), {})
            if not isinstance(child, dict):
                raise invalid(f"Invalid hash: {key}", key)
            node = child
        node[parts[-1] or str(len(node))] = value
    return cast(JSON, _listify(root, None))


def _listify(node: Any, key: str | None) -> Any:
    if not isinstance(node, dict):
        return node
    out = {k: _listify(v, k) for k, v in node.items()}
    if key != "metadata" and out and all(k.isdigit() for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out


def authenticate(header: str) -> str:
    scheme, _, credentials = header.strip().partition(" ")
    key = credentials.strip()
    if scheme.lower() == "basic":  # curl -u sk_test_...:
        try:
            key = base64.b64decode(key, validate=True).decode().split(":", 1)[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
    elif scheme.lower() != "bearer":
        key = ""
    if not key:
        raise SandboxError(401, _NO_KEY)
    if not _TEST_KEY.fullmatch(key):
        raise SandboxError(401, f"Invalid API Key provided: {key[:8]}****{key[-4:]}")
    return key


def _error(exc: SandboxError, headers: dict[str, str]) -> Response:
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


def _expand_paths(params: JSON) -> list[str]:
    value = params.get("expand") or []
    paths = value if isinstance(value, list) else [value]
    if not all(isinstance(p, str) for p in paths):
        raise invalid("Invalid array: expand", "expand")
    return [p for p in paths if p]


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui;max-width:32rem;margin:3rem auto}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def build_app(sandbox: StripeSandbox) -> FastAPI:
    app = FastAPI(title="Stripe sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    store = sandbox.store

    def relative_path(request: Request) -> str:
        return request.url.path.removeprefix(request.scope.get("root_path", "")) or "/"

    def base_url(request: Request) -> str:
        root = request.scope.get("root_path", "").rstrip("/")
        return f"{request.url.scheme}://{request.url.netloc}{root}"

    async def call(request: Request, action: Action, known: frozenset[str]) -> Response:
        request_id = f"req_{secrets.token_hex(7)}"
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": request.headers.get("stripe-version", API_VERSION),
        }
        post = request.method == "POST"
        key = request.headers.get("idempotency-key") if post else None
        if key:
            headers["Idempotency-Key"] = key
        try:
            authenticate(request.headers.get("authorization", ""))
            raw = (await request.body()).decode("utf-8") if post else request.url.query
            params = parse_params(raw)
            for name in params:
                if name not in known:
                    raise invalid(f"Received unknown parameter: {name}", name, "parameter_unknown")
        except (SandboxError, UnicodeDecodeError) as exc:
            error = exc if isinstance(exc, SandboxError) else invalid("Body is not UTF-8.")
            return _error(error, headers)
        path, info = relative_path(request), {"id": request_id, "idempotency_key": key}

        def run() -> tuple[int, bytes, bool]:
            with store.lock:
                if key and (stored := store.replay(key, path, params)) is not None:
                    return stored[0], stored[1], True
                try:
                    status, body = 200, store.expand(action(params, info), _expand_paths(params))
                except SandboxError as exc:
                    status, body = exc.status, exc.body()
                data = json.dumps(body, indent=2).encode("utf-8")
                if key and status == 200:  # as at Stripe: failed validation saves nothing
                    store.remember(key, path, params, status, data)
                return status, data, False

        try:
            status, data, replayed = await run_in_threadpool(run)
        except SandboxError as exc:
            return _error(exc, headers)
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(data, status_code=status, media_type="application/json", headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def unrecognized(request: Request, exc: StarletteHTTPException) -> Response:
        message = (
            f"Unrecognized request URL ({request.method}: {relative_path(request)}). "
            "Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
        )
        return _error(
            SandboxError(404 if exc.status_code in (404, 405) else exc.status_code, message), {}
        )

    # -- Stripe's API ----------------------------------------------------------------------------
    @app.post("/v1/customers")
    async def create_customer(request: Request) -> Response:
        return await call(request, store.create_customer, CUSTOMER_PARAMS)

    @app.post("/v1/checkout/sessions")
    async def create_session(request: Request) -> Response:
        base = base_url(request)
        return await call(
            request, lambda p, i: sandbox.create_checkout_session(p, base, i), SESSION_PARAMS
        )

    @app.get("/v1/checkout/sessions/{session_id}")
    async def get_session(request: Request, session_id: str) -> Response:
        return await call(
            request, lambda p, i: store.get(session_id, "checkout.session"), EXPAND_ONLY
        )

    @app.get("/v1/checkout/sessions/{session_id}/line_items")
    async def get_line_items(request: Request, session_id: str) -> Response:
        def items(params: JSON, info: JSON) -> JSON:
            store.get(session_id, "checkout.session")
            url = f"/v1/checkout/sessions/{session_id}/line_items"
            return stripe_list(store.session_extras(session_id)[0], url)

        return await call(request, items, EXPAND_ONLY | {"limit", "starting_after"})

    @app.post("/v1/checkout/sessions/{session_id}/expire")
    async def expire_session(request: Request, session_id: str) -> Response:
        return await call(
            request, lambda p, i: sandbox.expire_checkout_session(session_id, i), EXPAND_ONLY
        )

    @app.get("/v1/events")
    async def list_events(request: Request) -> Response:
        return await call(request, lambda p, i: store.list_events(p), EVENT_LIST_PARAMS)

    @app.get("/v1/{collection}/{object_id}")
    async def retrieve(request: Request, collection: str, object_id: str) -> Response:
        if collection not in _COLLECTIONS:
            raise StarletteHTTPException(404)
        kind = _COLLECTIONS[collection]
        return await call(request, lambda p, i: store.get(object_id, kind), EXPAND_ONLY)

    # -- sandbox controls (not Stripe) -----------------------------------------------------------
    @app.get("/_sandbox/pay/{session_id}")
    async def pay_page(session_id: str) -> HTMLResponse:
        try:
            session = store.expand(store.get(session_id, "checkout.session"), ["line_items"])
        except SandboxError as exc:
            return HTMLResponse(_page("Checkout not found", ""), status_code=exc.status)
        lines = "".join(
            f"<li>{li['quantity']} x {html.escape(li['description'])}: "
            f"{li['amount_total'] / 100:.2f} {li['currency'].upper()}</li>"
            for li in session["line_items"]["data"]
        )
        action = html.escape(session_id)
        form = (
            f"<form method='post' action='{action}'><label>Phone <input name='phone' "
            "type='tel'></label> <button type='submit'>Pay</button></form>"
            if session["status"] == "open"
            else f"<p>This checkout is {html.escape(session['status'])}.</p>"
        )
        email = html.escape(session["customer_email"] or session["customer"] or "")
        return HTMLResponse(_page("Sandbox checkout", f"<p>{email}</p><ul>{lines}</ul>{form}"))

    @app.post("/_sandbox/pay/{session_id}")
    async def pay(request: Request, session_id: str) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        try:
            await run_in_threadpool(
                sandbox.complete_checkout, session_id, form.get("phone") or None
            )
            session = store.get(session_id, "checkout.session")
        except SandboxError as exc:
            return HTMLResponse(_page("Cannot pay", html.escape(exc.message)), exc.status)
        if session["success_url"]:
            target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            return RedirectResponse(target, status_code=303)
        return HTMLResponse(_page("Paid", "<p>Thank you.</p>"))

    @app.get("/_sandbox/faults")
    async def get_faults() -> JSONResponse:
        return JSONResponse(sandbox.faults.as_json())

    @app.post("/_sandbox/faults")
    async def set_faults(request: Request) -> Response:
        try:
            sandbox.faults.update(json.loads(await request.body() or b"{}"))
        except ValueError as exc:  # includes malformed JSON
            return _error(invalid(str(exc)), {})
        return JSONResponse(sandbox.faults.as_json())

    @app.post("/_sandbox/flush")
    async def flush() -> JSONResponse:
        return JSONResponse({"released": sandbox.flush()})

    @app.get("/_sandbox/deliveries")
    async def deliveries() -> JSONResponse:
        data = [dataclasses.asdict(record) for record in sandbox.deliveries]
        return JSONResponse(stripe_list(data, "/_sandbox/deliveries"))

    install_lifecycle(app, sandbox, call, base_url)

    install_payments(app, sandbox, call)
    install_catalog(app, sandbox, call)
    return app
