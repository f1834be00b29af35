"""``/_sandbox/*``: what a test or a developer does to the sandbox from outside. Not Twilio.

- ``GET|POST /_sandbox/faults``: read or change the faults (JSON, all or nothing)
- ``POST /_sandbox/flush``: release the webhooks held by the reorder fault, newest first
- ``GET /_sandbox/deliveries``: every webhook attempt (``?kind=``, ``?sid=``)
- ``GET /_sandbox/messages``: messages oldest first (``?to=``, ``?from=``,
  ``?direction=outbound`` (default: outbound-api and outbound-reply) ``|inbound|all``)
- ``GET /_sandbox/calls``: calls oldest first (``?to=``, ``?from=``)
- ``POST /_sandbox/handsets/{number}/messages`` ``{"to", "body"}``: the handset texts a number
- ``POST /_sandbox/handsets/{number}/calls`` ``{"to", "ending", "duration"}``: it calls one
- ``POST /_sandbox/handsets/{number}`` ``{"reachable", "answer", "duration"}``: how it behaves
- ``POST /_sandbox/services`` ``{"numbers": [...]}``: a Messaging Service over owned numbers"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from steward.providers.twilio.sandbox.handsets import CALL_ENDINGS
from steward.providers.twilio.sandbox.state import SandboxError

if TYPE_CHECKING:
    from steward.providers.twilio.sandbox import TwilioSandbox


def _error(exc: SandboxError | ValueError) -> JSONResponse:
    error = exc if isinstance(exc, SandboxError) else SandboxError(400, 20001, str(exc))
    return JSONResponse(error.body(), error.status)


async def _body(request: Request) -> dict[str, Any]:
    data = json.loads(await request.body() or b"{}")  # JSONDecodeError is a ValueError
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def install(app: FastAPI, sandbox: TwilioSandbox) -> None:
    @app.get("/_sandbox/faults")
    async def get_faults() -> JSONResponse:
        return JSONResponse(sandbox.faults.as_json())

    @app.post("/_sandbox/faults")
    async def set_faults(request: Request) -> JSONResponse:
        try:
            sandbox.faults.update(await _body(request))
        except ValueError as exc:
            return _error(exc)
        return JSONResponse(sandbox.faults.as_json())

    @app.post("/_sandbox/flush")
    async def flush() -> JSONResponse:
        return JSONResponse({"released": sandbox.flush()})

    @app.get("/_sandbox/deliveries")
    async def deliveries(kind: str = "", sid: str = "") -> JSONResponse:
        rows = [dataclasses.asdict(r) for r in sandbox.deliveries]
        rows = [r for r in rows if (not kind or r["kind"] == kind) and (not sid or r["sid"] == sid)]
        return JSONResponse({"deliveries": rows})

    @app.get("/_sandbox/messages")
    async def messages(
        to: str = "", from_: str = Query("", alias="from"), direction: str = "outbound"
    ) -> JSONResponse:
        if direction not in ("outbound", "inbound", "all"):
            return _error(ValueError("direction must be outbound, inbound or all"))
        rows = sandbox.messages(to=to or None, from_=from_ or None, direction=direction)
        return JSONResponse({"messages": rows})

    @app.get("/_sandbox/calls")
    async def calls(to: str = "", from_: str = Query("", alias="from")) -> JSONResponse:
        return JSONResponse({"calls": sandbox.calls(to=to or None, from_=from_ or None)})

    @app.post("/_sandbox/handsets/{handset}/messages")
    async def handset_texts(request: Request, handset: str) -> JSONResponse:
        try:
            data = await _body(request)
            message = sandbox.text(handset, _text(data, "to"), _text(data, "body"))
        except (SandboxError, ValueError) as exc:
            return _error(exc)
        return JSONResponse(message, 201)

    @app.post("/_sandbox/handsets/{handset}/calls")
    async def handset_calls(request: Request, handset: str) -> JSONResponse:
        try:
            data = await _body(request)
            duration = data.get("duration", 5)
            if type(duration) is not int or duration < 0:
                raise ValueError("duration must be a whole number of seconds")
            ending = str(data.get("ending", "completed"))
            call = sandbox.call(handset, _text(data, "to"), ending=ending, duration=duration)
        except (SandboxError, ValueError) as exc:
            return _error(exc)
        return JSONResponse(call, 201)

    @app.post("/_sandbox/handsets/{handset}")
    async def handset_behaves(request: Request, handset: str) -> JSONResponse:
        try:
            data = await _body(request)
            reachable = data.get("reachable", True)
            answer, duration = data.get("answer", "completed"), data.get("duration", 5)
            if not isinstance(reachable, bool) or answer not in CALL_ENDINGS:
                raise ValueError(f"reachable is a boolean; answer one of {CALL_ENDINGS}")
            if type(duration) is not int or duration < 0:
                raise ValueError("duration must be a whole number of seconds")
        except ValueError as exc:
            return _error(exc)
        sandbox.set_handset(handset, reachable=reachable, answer=answer, duration=duration)
        return JSONResponse({"handset": handset, **data})

    @app.post("/_sandbox/services")
    async def services(request: Request) -> JSONResponse:
        try:
            data = await _body(request)
            numbers = data.get("numbers")
            if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
                raise ValueError("numbers must be a list of phone numbers")
            sid = sandbox.add_messaging_service(numbers)
        except (SandboxError, ValueError) as exc:
            return _error(exc)
        return JSONResponse({"sid": sid, "numbers": numbers}, 201)
