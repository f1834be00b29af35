"""The messaging API other domains use, in their own transaction:

- ``send_sms``: record a text (``pending``) and ask for it to be sent; the send workflow texts it
  once, after the caller's commit. Refused with ``recipient_opted_out`` (409) after a STOP.
- ``is_keyword``: whether an inbound text is STOP/START/HELP, which this domain answers; other
  domains' ``sms.received`` handlers skip those (the inbox payload carries ``keyword`` too).
- ``messages_for``: a tenant's conversation, oldest first.

Statuses only move forward (``models``); STOP, START and Twilio's 21610 keep the opt-out table."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from steward.errors import Conflict, IllegalTransition, InvalidInput
from steward.kit.ids import new_id
from steward.kit.phone import mask_phone, to_e164
from steward.messaging import repository as repo
from steward.messaging.errors import MessagingNotConfigured, RecipientOptedOut, UnknownMessage
from steward.messaging.models import Direction, Message, Status
from steward.providers.twilio import OPTED_OUT, InboundSms, MessageStatusUpdate, OptOut, keyword
from steward.runtime import Runtime

log = structlog.get_logger("steward.messaging")

SEND_REQUESTED = "message.send_requested"
MAX_BODY = 1600  # Twilio's limit for one (concatenated) message
E164 = re.compile(r"\+[1-9]\d{6,14}")


@dataclass(frozen=True)
class OutboundMessage:
    id: str
    to: str
    from_number: str
    purpose: str
    key: str
    status: str
    tenant_id: str | None


def _view(message: Message) -> OutboundMessage:
    return OutboundMessage(
        message.id,
        message.to_number,
        message.from_number,
        message.purpose,
        message.idempotency_key,
        message.status,
        message.tenant_id,
    )


def is_keyword(body: str) -> bool:
    """STOP, START, HELP and Twilio's synonyms, as the whole text in any case."""
    return keyword(body) is not None


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def normalise(phone: str, region: str) -> str:
    """E.164 as given (numbers Twilio hands us are), else parsed as a person typed it."""
    return phone if E164.fullmatch(phone) else to_e164(phone, region)


def send_sms(
    session: Session,
    runtime: Runtime,
    *,
    to: str,
    body: str,
    purpose: str,
    key: str,
    tenant_id: str | None = None,
    from_number: str | None = None,
) -> OutboundMessage:
    """Record the text and publish its send, in the caller's transaction. ``key`` says what the
    text is for (``"welcome:ten_42"``): the same key again returns the same message, unsent."""
    message, new = record_sms(
        session, runtime, to=to, body=body, purpose=purpose, key=key,
        tenant_id=tenant_id, from_number=from_number,
    )  # fmt: skip
    if new:
        runtime.bus.publish(
            session, SEND_REQUESTED, tenant_id=tenant_id, data={"message_id": message.id}
        )
    return message


def record_sms(
    session: Session,
    runtime: Runtime,
    *,
    to: str,
    body: str,
    purpose: str,
    key: str,
    tenant_id: str | None = None,
    from_number: str | None = None,
) -> tuple[OutboundMessage, bool]:
    """The pending message under ``key`` (recorded now unless it exists), and whether it is new;
    ``send_sms`` without the send: for a caller that sends it itself (``sending.send_now``)."""
    if not body.strip() or len(body) > MAX_BODY:
        raise InvalidInput(f"body: 1 to {MAX_BODY} characters", field="body")
    if not 0 < len(purpose) <= 64:
        raise InvalidInput("purpose: 1 to 64 characters", field="purpose")
    if not 0 < len(key) <= 200:
        raise InvalidInput("key: 1 to 200 characters", field="key")
    to = normalise(to, runtime.product.default_region)
    sender = from_number or runtime.settings.twilio_from_number
    if not sender:
        raise MessagingNotConfigured()
    existing = repo.by_key(session, key)
    if existing is not None:
        if existing.to_number != to or existing.body_hash != body_hash(body):
            raise Conflict(f"key: {key!r} already sent another text", field="key")
        return _view(existing), False
    if repo.is_opted_out(session, to):
        raise RecipientOptedOut(
            f"{mask_phone(to)} texted STOP; nothing is sent until they text START", key=key
        )
    now = runtime.clock.now()
    message = repo.add(
        session,
        Message(
            id=new_id("msg"),
            tenant_id=tenant_id,
            direction=Direction.OUT.value,
            purpose=purpose,
            to_number=to,
            from_number=sender,
            body=body,
            body_hash=body_hash(body),
            status=Status.PENDING.value,
            idempotency_key=key,
            created_at=now,
            updated_at=now,
        ),
        cause=f"send_sms: {purpose}",
    )
    return _view(message), True


def retry(session: Session, runtime: Runtime, message_id: str) -> OutboundMessage:
    """Start the send again of a message not sent yet (pending, or claimed and in doubt: the
    send step looks at Twilio before sending, so a text Twilio has is never sent twice)."""
    message = repo.get(session, message_id)
    if message.direction != Direction.OUT.value or message.status not in (
        Status.PENDING.value,
        Status.CLAIMED.value,
    ):
        raise Conflict(
            f"message {message_id} is {message.status}; only a pending or claimed text is retried",
            status=message.status,
        )
    runtime.bus.publish(
        session, SEND_REQUESTED, tenant_id=message.tenant_id, data={"message_id": message.id}
    )
    return _view(message)


def messages_for(session: Session, tenant_id: str) -> list[Message]:
    return repo.for_tenant(session, tenant_id)


def opt_out(session: Session, runtime: Runtime, phone: str, cause: str) -> bool:
    changed = repo.set_opt_out(session, phone, True, runtime.clock.now(), cause)
    if changed:
        log.info("messaging.opted_out", phone=mask_phone(phone), cause=cause)
    return changed


def opt_in(session: Session, runtime: Runtime, phone: str, cause: str) -> bool:
    changed = repo.set_opt_out(session, phone, False, runtime.clock.now(), cause)
    if changed:
        log.info("messaging.opted_in", phone=mask_phone(phone), cause=cause)
    return changed


def apply_status(
    session: Session, runtime: Runtime, update: MessageStatusUpdate, cause: str
) -> bool:
    """A status callback: False when it is older than what is stored (late or duplicate)."""
    message = repo.by_sid(session, update.message_sid)
    if message is None:
        # The send step records the sid right after Twilio answers; a callback can be faster.
        raise UnknownMessage(f"no message with sid {update.message_sid} yet")
    values: dict[str, object] = {}
    if update.error_code is not None:
        values["error_code"] = update.error_code
    try:
        repo.transition(
            session, message.id, Status(update.status.value), runtime.clock.now(), cause, **values
        )
    except IllegalTransition:
        return False
    finally:
        if update.error_code == OPTED_OUT:
            opt_out(session, runtime, message.to_number, f"twilio {OPTED_OUT}: {cause}")
    return True


def receive_sms(session: Session, runtime: Runtime, sms: InboundSms, cause: str) -> Message:
    """Record an inbound text once, and answer STOP, START and HELP."""
    found = repo.by_sid(session, sms.message_sid)
    if found is not None:
        return found
    now = runtime.clock.now()
    message = repo.add(
        session,
        Message(
            id=new_id("msg"),
            tenant_id=None,
            direction=Direction.IN.value,
            purpose=f"keyword:{sms.opt_out.value}" if sms.opt_out else "inbound",
            to_number=sms.to_number,
            from_number=sms.from_number,
            body=sms.body,
            body_hash=body_hash(sms.body),
            twilio_sid=sms.message_sid,
            status=Status.RECEIVED.value,
            idempotency_key=f"in:{sms.message_sid}",
            created_at=now,
            updated_at=now,
        ),
        cause=cause,
    )
    if sms.opt_out is OptOut.STOP:
        opt_out(session, runtime, sms.from_number, f"STOP: {cause}")
    elif sms.opt_out is OptOut.START:
        opt_in(session, runtime, sms.from_number, f"START: {cause}")
    elif sms.opt_out is OptOut.HELP and not repo.is_opted_out(session, sms.from_number):
        send_sms(
            session,
            runtime,
            to=sms.from_number,
            body=help_text(runtime),
            purpose="help",
            key=f"help:{sms.message_sid}",
            from_number=sms.to_number,
        )
    return message


def help_text(runtime: Runtime) -> str:
    product = runtime.product
    return product.help_text or (
        f"{product.name}: reply STOP to stop these texts, START to receive them again."
    )
