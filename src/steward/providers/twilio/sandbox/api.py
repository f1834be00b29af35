"""The sandbox over HTTP: Twilio's REST conventions for the resources Steward calls, and a few
controls under ``/_sandbox`` (not Twilio; for tests and the developer).

Twilio's conventions, as the SDK relies on them: HTTP Basic auth with the AccountSid and Auth
Token (else 401 ``{"code": 20003, ...}``), the account in the path, form-encoded bodies, creates
answered 201, deletes 204, lists paged with ``next_page_uri``, and errors as ``{"code",
"message", "more_info", "status"}``. A fault may fail an authenticated call before it is run."""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from steward.providers.twilio.sandbox import numbers as numbers_
from steward.providers.twilio.sandbox import resources
from steward.providers.twilio.sandbox.controls import install as install_controls
from steward.providers.twilio.sandbox.resources import Params
from steward.providers.twilio.sandbox.state import API, JSON, SandboxError, bad, page

if TYPE_CHECKING:
    from steward.providers.twilio.sandbox import TwilioSandbox

Action = Callable[[Params], tuple[int, JSON | None]]
ACCOUNT = API + "/Accounts/{account_sid}"
_FAILURES = {
    500: (20500, "An internal server error has occurred"),
    503: (20503, "Service Unavailable"),
    429: (20429, "Too Many Requests"),
}


def parse_form(raw: str) -> Params:
    params: Params = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        params.setdefault(key, []).append(value)
    return params


def build_app(sandbox: TwilioSandbox) -> FastAPI:
    app = FastAPI(title="Twilio sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    store = sandbox.store

    def authenticate(header: str, account_sid: str) -> None:
        scheme, _, value = header.strip().partition(" ")
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if not (
            scheme.lower() == "basic"
            and hmac.compare_digest(user.encode(), store.account_sid.encode())
            and hmac.compare_digest(password.encode(), store.auth_token.encode())
            and account_sid == user
        ):
            raise SandboxError(401, 20003, "Authenticate")

    def fail_now() -> None:
        with store.lock:
            faults = sandbox.faults
            if faults.fail_next <= 0:
                return
            faults.fail_next -= 1
        code, message = _FAILURES.get(faults.fail_status, _FAILURES[500])
        raise SandboxError(faults.fail_status, code, message)

    async def call(request: Request, account_sid: str, action: Action) -> Response:
        headers = {"Twilio-Request-Id": f"RQ{uuid.uuid4().hex}"}
        try:
            authenticate(request.headers.get("authorization", ""), account_sid)
            fail_now()
            if request.method == "POST":
                try:
                    raw = (await request.body()).decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise bad(20001, "The request body is not UTF-8") from exc
            else:
                raw = request.url.query
            with store.lock:
                status, body = action(parse_form(raw))
        except SandboxError as exc:
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return JSONResponse(exc.body(), exc.status, headers=headers)
        if body is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(body, status, headers=headers)

    def listing(rows: Callable[[Params], list[JSON]], key: str, path: str) -> Action:
        return lambda p: (200, page(rows(p), key, store.root + path, resources.flat(p)))

    @app.exception_handler(StarletteHTTPException)
    async def unrecognized(request: Request, exc: StarletteHTTPException) -> Response:
        root = request.scope.get("root_path", "")
        path = request.url.path.removeprefix(root) or "/"
        if exc.status_code == 405:
            error = SandboxError(405, 20004, "Method not allowed")
        else:
            error = SandboxError(404, 20404, f"The requested resource {path} was not found")
        return JSONResponse(error.body(), error.status)

    # -- Twilio's API ----------------------------------------------------------------------------
    @app.post(ACCOUNT + "/Messages.json")
    async def create_message(request: Request, account_sid: str) -> Response:
        return await call(
            request, account_sid, lambda p: (201, resources.create_message(sandbox, p))
        )

    @app.get(ACCOUNT + "/Messages.json")
    async def list_messages(request: Request, account_sid: str) -> Response:
        action = listing(lambda p: resources.messages(sandbox, p), "messages", "/Messages.json")
        return await call(request, account_sid, action)

    @app.get(ACCOUNT + "/Messages/{sid}.json")
    async def fetch_message(request: Request, account_sid: str, sid: str) -> Response:
        return await call(request, account_sid, lambda p: (200, store.get_message(sid)))

    @app.post(ACCOUNT + "/Calls.json")
    async def create_call(request: Request, account_sid: str) -> Response:
        return await call(request, account_sid, lambda p: (201, resources.create_call(sandbox, p)))

    @app.get(ACCOUNT + "/Calls.json")
    async def list_calls(request: Request, account_sid: str) -> Response:
        action = listing(lambda p: resources.calls(sandbox, p), "calls", "/Calls.json")
        return await call(request, account_sid, action)

    @app.get(ACCOUNT + "/Calls/{sid}.json")
    async def fetch_call(request: Request, account_sid: str, sid: str) -> Response:
        return await call(request, account_sid, lambda p: (200, store.get_call(sid)))

    @app.get(ACCOUNT + "/AvailablePhoneNumbers/{country}/Local.json")
    async def available(request: Request, account_sid: str, country: str) -> Response:
        path = f"{store.root}/AvailablePhoneNumbers/{country}/Local.json"

        def search(p: Params) -> tuple[int, JSON]:
            if country not in ("US", "CA", "GB"):
                raise SandboxError(404, 20404, f"The requested resource {path} was not found")
            size = resources.one(p, "PageSize") or "50"
            if not size.isdigit() or not 1 <= int(size) <= 1000:
                raise bad(20001, "PageSize must be a whole number from 1 to 1000")
            offers = numbers_.search(store, country, resources.flat(p))[: int(size)]
            return 200, {
                "available_phone_numbers": offers, "end": max(len(offers) - 1, 0),
                "first_page_uri": path, "next_page_uri": None, "page": 0,
                "page_size": int(size), "previous_page_uri": None, "start": 0, "uri": path,
            }  # fmt: skip

        return await call(request, account_sid, search)

    @app.post(ACCOUNT + "/IncomingPhoneNumbers.json")
    async def buy_number(request: Request, account_sid: str) -> Response:
        return await call(
            request, account_sid, lambda p: (201, numbers_.buy(store, resources.flat(p)))
        )

    @app.get(ACCOUNT + "/IncomingPhoneNumbers.json")
    async def list_numbers(request: Request, account_sid: str) -> Response:
        rows = listing(
            lambda p: resources.numbers(sandbox, p), "incoming_phone_numbers",
            "/IncomingPhoneNumbers.json",
        )  # fmt: skip
        return await call(request, account_sid, rows)

    @app.get(ACCOUNT + "/IncomingPhoneNumbers/{sid}.json")
    async def fetch_number(request: Request, account_sid: str, sid: str) -> Response:
        return await call(request, account_sid, lambda p: (200, store.get_number(sid)))

    @app.post(ACCOUNT + "/IncomingPhoneNumbers/{sid}.json")
    async def update_number(request: Request, account_sid: str, sid: str) -> Response:
        def update(p: Params) -> tuple[int, JSON]:
            return 200, numbers_.update(store, store.get_number(sid), resources.flat(p))

        return await call(request, account_sid, update)

    @app.delete(ACCOUNT + "/IncomingPhoneNumbers/{sid}.json")
    async def release_number(request: Request, account_sid: str, sid: str) -> Response:
        def release(p: Params) -> tuple[int, None]:
            number = store.get_number(sid)
            del store.numbers[sid]
            for members in store.services.values():
                if number["phone_number"] in members:
                    members.remove(number["phone_number"])
            return 204, None

        return await call(request, account_sid, release)

    install_controls(app, sandbox)
    return app
