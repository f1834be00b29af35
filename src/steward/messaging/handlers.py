"""Inbox handlers for Twilio: inbound texts (recorded; STOP, START, HELP answered) and message
status callbacks (each moves its message forward only). Declared by the messaging module, which
comes before the product's domains, so a keyword is handled before they see the text."""

from __future__ import annotations

from collections.abc import Mapping

from steward.errors import PermanentEventError
from steward.inbox.handlers import HandlerContext
from steward.messaging import service
from steward.module import On
from steward.providers.twilio import MalformedTwilioRequest, parse_message_status, parse_sms


def _form(ctx: HandlerContext) -> Mapping[str, str]:
    form = ctx.payload.get("form")
    if not isinstance(form, dict) or not all(isinstance(v, str) for v in form.values()):
        raise PermanentEventError("a Twilio event without its form")
    return form


def sms_received(ctx: HandlerContext) -> None:
    try:
        sms = parse_sms(_form(ctx))
    except MalformedTwilioRequest as exc:
        raise PermanentEventError(exc.message) from exc
    message = service.receive_sms(ctx.session, ctx.runtime, sms, f"event:{ctx.event.id}")
    ctx.notes.append(f"message {message.id} {message.purpose}")


def message_status(ctx: HandlerContext) -> None:
    try:
        update = parse_message_status(_form(ctx))
    except MalformedTwilioRequest as exc:
        raise PermanentEventError(exc.message) from exc
    applied = service.apply_status(ctx.session, ctx.runtime, update, f"event:{ctx.event.id}")
    ctx.notes.append(f"{update.status.value} {'applied' if applied else 'older: ignored'}")


ON = (
    On("twilio", ("sms.received",), sms_received),
    On("twilio", ("message.status",), message_status),
)
