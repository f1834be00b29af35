"""The sandbox over HTTP: the part of Whop's v1 API Steward calls, under ``/api/v1`` as at
``api.whop.com``, and test controls under ``/_sandbox``.

Whop's conventions as the SDK relies on them: JSON bodies, ``Authorization: Bearer <API key>``
(401 otherwise), errors as ``{"error": {"type", "message"[, "code"]}}`` with a 4xx/5xx status,
and ``Idempotency-Key`` on any POST: the first 2xx or 4xx answer is stored and replayed
byte-for-byte with ``Idempotent-Replayed: true``; the same key on a different request (method,
path, query, body or Api-Version-Date) is a 400 ``idempotency_key_mismatch``."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from steward.providers.whop.sandbox import lifecycle, messaging
from steward.providers.whop.sandbox.state import (
    JSON,
    Idempotent,
    SandboxError,
    bad_request,
)

if TYPE_CHECKING:
    from steward.providers.whop.sandbox import WhopSandbox

Action = Callable[[JSON, "str | None"], JSON]  # (body, idempotency key) -> answer
_TYPES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          409: "conflict", 422: "unprocessable_entity", 429: "rate_limit_exceeded"}  # fmt: skip


def _error(exc: SandboxError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status)


def _json_object(raw: bytes) -> JSON:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise bad_request("The request body must be a JSON object")
    return value


def build_app(sandbox: WhopSandbox) -> FastAPI:
    app = FastAPI(title="Whop sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    store = sandbox.store

    def authenticate(header: str) -> str:
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise SandboxError(401, "Missing API key: send Authorization: Bearer", "unauthorized")
        if key.strip() not in sandbox.api_keys:
            raise SandboxError(401, "The API key is invalid or revoked", "unauthorized")
        return key.strip()

    async def call(request: Request, action: Action) -> Response:
        if sandbox.faults.delay_ms:
            await asyncio.sleep(sandbox.faults.delay_ms / 1000)
        post = request.method == "POST"
        try:
            api_key = authenticate(request.headers.get("authorization", ""))
            failure = sandbox.faults.take_failure()
            if failure is not None:
                kind = _TYPES.get(failure, "internal_server_error")
                raise SandboxError(failure, f"Sandbox fault: this call fails ({failure})", kind)
            raw = await request.body() if post else b""
            params = _json_object(raw)
            key = request.headers.get("idempotency-key") if post else None
            if key is not None and not 0 < len(key.encode()) <= 255:
                raise bad_request("Idempotency-Key must be 1 to 255 bytes")
        except SandboxError as exc:
            return _error(exc)
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        version = request.headers.get("api-version-date", "")
        fingerprint = (request.method, path, request.url.query, raw.decode("utf-8"), version)
        with store.lock:
            if key is not None and (seen := store.idempotency.get((api_key, key))) is not None:
                if seen.fingerprint != fingerprint:
                    message = "This Idempotency-Key was used for a different request"
                    return _error(bad_request(message, "idempotency_key_mismatch"))
                headers = {"Idempotent-Replayed": "true"}
                return Response(seen.body, seen.status, headers, "application/json")
            try:
                status, answer = 200, action(params, key)
            except SandboxError as exc:
                status, answer = exc.status, exc.body()
            body = json.dumps(answer).encode("utf-8")
            if key is not None and status < 500:
                store.idempotency[(api_key, key)] = Idempotent(fingerprint, status, body)
        return Response(body, status, media_type="application/json")

    @app.exception_handler(StarletteHTTPException)
    async def unrecognized(request: Request, exc: StarletteHTTPException) -> Response:
        status = 404 if exc.status_code in (404, 405) else exc.status_code
        message = f"No route for {request.method} {request.url.path}"
        return _error(SandboxError(status, message, _TYPES.get(status, "not_found")))

    # -- Whop's API ----------------------------------------------------------------------------
    @app.get("/api/v1/memberships/{membership_id}")
    async def retrieve(request: Request, membership_id: str) -> Response:
        return await call(request, lambda p, k: copy.deepcopy(store.membership(membership_id)))

    @app.post("/api/v1/memberships/{membership_id}/cancel")
    async def cancel(request: Request, membership_id: str) -> Response:
        return await call(request, lambda p, k: lifecycle.cancel(store, membership_id, p))

    @app.post("/api/v1/memberships/{membership_id}/extend")
    async def extend(request: Request, membership_id: str) -> Response:
        return await call(request, lambda p, k: lifecycle.extend(store, membership_id, p))

    @app.post("/api/v1/notifications")
    async def notify(request: Request) -> Response:
        return await call(request, lambda p, k: messaging.notify(store, p, k))

    @app.post("/api/v1/dm_channels")
    async def open_channel(request: Request) -> Response:
        return await call(request, lambda p, k: messaging.open_channel(store, p))

    @app.post("/api/v1/messages")
    async def post_message(request: Request) -> Response:
        return await call(request, lambda p, k: messaging.post_message(store, p, k))

    @app.get("/.well-known/jwks.json")
    async def jwks() -> JSONResponse:
        return JSONResponse(sandbox.tokens.jwks())

    _install_controls(app, sandbox)
    return app


def _install_controls(app: FastAPI, sandbox: WhopSandbox) -> None:
    """Test controls: not Whop's, never authenticated, only where the sandbox is mounted."""

    async def control(request: Request, action: Callable[[JSON], Any]) -> Response:
        try:
            return JSONResponse(action(_json_object(await request.body())))
        except SandboxError as exc:
            return _error(exc)
        except ValueError as exc:
            return _error(bad_request(str(exc)))

    @app.post("/_sandbox/memberships")
    async def create_membership(request: Request) -> Response:
        return await control(request, sandbox.create_membership)

    @app.post("/_sandbox/memberships/{membership_id}/renewal")
    async def renewal(request: Request, membership_id: str) -> Response:
        def renew(body: JSON) -> JSON:
            outcome = body.get("outcome")
            if outcome not in ("succeeded", "failed"):
                raise bad_request("outcome must be succeeded or failed")
            message = body.get("failure_message") or "Your card has insufficient funds."
            final = body.get("final") is True
            return sandbox.renew(
                membership_id, outcome == "succeeded", final=final, message=message
            )

        return await control(request, renew)

    @app.post("/_sandbox/user_tokens")
    async def mint(request: Request) -> Response:
        def token(body: JSON) -> JSON:
            user_id, app_id, ttl = body.get("user_id"), body.get("app_id"), body.get("ttl", 300)
            if not isinstance(user_id, str) or not isinstance(app_id, str) or type(ttl) is not int:
                raise bad_request("user_id and app_id (strings) are required; ttl is seconds")
            extra = {k: body[k] for k in ("company_id", "experience_id") if body.get(k)}
            return {"token": sandbox.tokens.mint(user_id, app_id, ttl=ttl, **extra)}

        return await control(request, token)

    @app.get("/_sandbox/faults")
    async def get_faults() -> JSONResponse:
        return JSONResponse(sandbox.faults.as_json())

    @app.post("/_sandbox/faults")
    async def set_faults(request: Request) -> Response:
        def update(body: JSON) -> JSON:
            sandbox.faults.update(body)
            return sandbox.faults.as_json()

        return await control(request, update)

    @app.post("/_sandbox/flush")
    async def flush() -> JSONResponse:
        return JSONResponse({"released": sandbox.flush()})

    @app.post("/_sandbox/webhook")
    async def webhook(request: Request) -> Response:
        def configure(body: JSON) -> JSON:
            sandbox.configure_webhook(url=body.get("url"), secret=body.get("secret"))
            return {"url": sandbox.webhook_url}

        return await control(request, configure)

    @app.get("/_sandbox/deliveries")
    async def deliveries() -> JSONResponse:
        return JSONResponse({"data": [dataclasses.asdict(r) for r in sandbox.deliveries]})

    @app.get("/_sandbox/sent")
    async def sent() -> JSONResponse:
        return JSONResponse({"data": [dataclasses.asdict(s) for s in sandbox.sent]})

    @app.get("/_sandbox/events")
    async def events() -> JSONResponse:
        return JSONResponse({"data": sandbox.events})
