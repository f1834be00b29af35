"""The SMS channel of onboarding: Twilio's inbound posts (as the messaging layer stores them in
the inbox: source ``twilio``, payload ``{"id": sid, "form": {...}}``) turned into conversation
steps, and replies sent as texts. Everything Twilio-specific in onboarding is here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from steward.errors import PermanentEventError, StewardError
from steward.inbox.handlers import HandlerContext
from steward.kit.phone import to_e164
from steward.onboarding import repository as repo
from steward.onboarding.service import Onboarding
from steward.providers.twilio import CallStatus, keyword, parse_call_status, parse_sms, parse_voice
from steward.runtime import Runtime
from steward.tenants import service as tenants

CHANNEL = "sms"
TEST_CALL = "test_call"  # the signal S9 waits for
NUMBER = "number"  # the signal naming the tenant's assigned number


def _form(ctx: HandlerContext) -> dict[str, str]:
    form: Any = ctx.payload.get("form")
    if not isinstance(form, dict):
        raise PermanentEventError("twilio event has no form")
    return {str(k): str(v) for k, v in form.items()}


def _e164(ctx: HandlerContext, raw: str) -> str | None:
    try:
        return to_e164(raw, ctx.runtime.product.default_region)
    except StewardError:
        return None  # a withheld or SIP caller: not someone we can text


def _start(ctx: HandlerContext, phone: str) -> None:
    onboarding = ctx.runtime.service(Onboarding)
    digits = phone.lstrip("+")
    tenant = tenants.create(
        ctx.session,
        ctx.runtime.product,
        ctx.runtime.clock,
        tenants.NewTenant(email=f"sms-{digits}@onboarding.invalid", name=phone, phone=phone),
    )
    ctx.tenant_id = tenant.id
    onboarding.start(
        ctx.session,
        tenant_id=tenant.id,
        channel=CHANNEL,
        address=phone,
        cause=f"twilio:{ctx.event.external_id}",
    )


def missed_call(ctx: HandlerContext) -> None:
    """A call to the product's own number starts a conversation for the caller (once)."""
    call = parse_voice(_form(ctx))
    onboarding = ctx.runtime.service(Onboarding)
    if call.to_number not in onboarding.flow.entry:
        return  # a call to a tenant's number: not onboarding's
    phone = _e164(ctx, call.from_number)
    if phone is None:
        ctx.notes.append("caller cannot be texted; no conversation")
        return
    conv = repo.by_address(ctx.session, onboarding.flow.name, phone)
    if conv is not None:
        ctx.tenant_id = conv.tenant_id
        ctx.notes.append("conversation already started")
        return
    _start(ctx, phone)


def text_received(ctx: HandlerContext) -> None:
    sms = parse_sms(_form(ctx))
    if keyword(sms.body) is not None:
        return  # STOP/START/HELP are the messaging layer's
    onboarding = ctx.runtime.service(Onboarding)
    phone = _e164(ctx, sms.from_number)
    if phone is None:
        return
    conv = repo.by_address(ctx.session, onboarding.flow.name, phone)
    if conv is None:
        if sms.to_number in onboarding.flow.entry:
            _start(ctx, phone)
        return
    ctx.tenant_id = conv.tenant_id
    onboarding.heard(ctx.session, conv, sms.body, f"twilio:{sms.message_sid}")


def call_status(ctx: HandlerContext) -> None:
    """A completed call to a tenant's assigned number from the tenant's own phone is its test."""
    update = parse_call_status(_form(ctx))
    if update.status is not CallStatus.COMPLETED:
        return
    conv = repo.by_signal(ctx.session, NUMBER, update.to_number)
    if conv is None or _e164(ctx, update.from_number) != conv.address:
        return
    ctx.tenant_id = conv.tenant_id
    ctx.runtime.service(Onboarding).signal(
        ctx.session, conv.tenant_id, TEST_CALL, update.call_sid, f"twilio:{update.call_sid}"
    )


def send(session: Session, runtime: Runtime, tenant_id: str, to: str, body: str, key: str) -> None:
    """Texts go through the messaging layer's ``send_sms`` (its outbox, in this transaction)
    once it is installed; until then the turn recorded by the service is the only trace."""
