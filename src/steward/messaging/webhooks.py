"""Twilio's webhooks: verify ``X-Twilio-Signature`` against the URL Twilio called, parse the form
at the edge, store once in the inbox, answer empty TwiML. Replies are sent later, by the
messaging service, never inline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from steward import metrics
from steward.api.deps import RuntimeDep
from steward.config import DEFAULT_PUBLIC_URL, Settings
from steward.errors import BadWebhook
from steward.inbox.service import Inbox
from steward.messaging.errors import TwilioSignatureInvalid
from steward.providers.twilio import (
    HEADER,
    CallStatusUpdate,
    decode_form,
    parse_sms,
    parse_status,
    parse_voice,
    verify,
)

router = APIRouter(tags=["webhooks"])
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Not a Twilio form; nothing stored"},
    403: {"description": "Missing or bad X-Twilio-Signature; nothing stored"},
}


def called_url(request: Request, settings: Settings) -> str:
    """The URL Twilio signed: the public URL's origin with this path and query, or, while the
    public URL is the default, the request's own (behind a trusted proxy, as it forwarded)."""
    tail = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if settings.public_url != DEFAULT_PUBLIC_URL:
        return settings.public_url.rstrip("/") + tail
    trusted = {p.strip() for p in settings.trusted_proxies.split(",") if p.strip()}
    client = request.client.host if request.client else ""
    if trusted and ("*" in trusted or client in trusted):
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
        host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
        if proto and host:
            return f"{proto}://{host}{tail}"
    return str(request.url)


def _payload(kind: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The inbox's event: ``id`` (its unique external id), ``type``, and the raw ``form``."""
    if kind == "sms":
        sms = parse_sms(form)
        word = sms.opt_out.value if sms.opt_out else None  # STOP/START/HELP: ours to answer
        return {"id": sms.message_sid, "type": "sms.received", "keyword": word, "form": form}
    if kind == "voice":
        return {"id": parse_voice(form).call_sid, "type": "call.received", "form": form}
    update = parse_status(form)
    if isinstance(update, CallStatusUpdate):
        ext = f"{update.call_sid}:{update.status.value}"
        return {"id": ext, "type": "call.status", "form": form}
    ext = f"{update.message_sid}:{update.status.value}"
    return {"id": ext, "type": "message.status", "form": form}


async def _receive(request: Request, runtime: RuntimeDep, kind: str) -> Response:
    body = await request.body()
    settings = runtime.settings
    try:
        form = decode_form(body)
        url = called_url(request, settings)
        if not verify(settings.twilio_auth_token, url, form, request.headers.get(HEADER)):
            raise TwilioSignatureInvalid()
        payload = _payload(kind, form)
    except BadWebhook as exc:
        metrics.EVENTS_REJECTED.labels(source="twilio", code=exc.code).inc()
        raise
    raw = json.dumps(payload, sort_keys=True).encode()
    await run_in_threadpool(runtime.service(Inbox).ingest, "twilio", raw, payload)
    return Response(TWIML, media_type="application/xml")


@router.post("/webhooks/twilio/sms", responses=ERRORS, response_class=Response)
async def twilio_sms(request: Request, runtime: RuntimeDep) -> Response:
    """An inbound text to one of our numbers (the number's SmsUrl)."""
    return await _receive(request, runtime, "sms")


@router.post("/webhooks/twilio/voice", responses=ERRORS, response_class=Response)
async def twilio_voice(request: Request, runtime: RuntimeDep) -> Response:
    """An inbound call (the number's VoiceUrl); stored for the domains that answer calls."""
    return await _receive(request, runtime, "voice")


@router.post("/webhooks/twilio/status", responses=ERRORS, response_class=Response)
async def twilio_status(request: Request, runtime: RuntimeDep) -> Response:
    """Message and call status callbacks."""
    return await _receive(request, runtime, "status")
