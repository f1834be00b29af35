"""The messaging admin API: messages (newest first, bodies never shown), one message with its
status history, an operator's text, and a number's opt-out state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from steward.api.deps import Actor, RuntimeDep
from steward.audit import service as audit
from steward.messaging import repository as repo
from steward.messaging import service
from steward.messaging.schemas import (
    MessageDetail,
    MessageOut,
    MessagePage,
    OptOutOut,
    SendIn,
    TransitionOut,
)

admin = APIRouter(prefix="/admin/api/messaging", tags=["admin: messaging"])


@admin.get("/messages", response_model=MessagePage)
def list_messages(
    runtime: RuntimeDep,
    _admin: Actor,
    tenant_id: str | None = None,
    phone: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> MessagePage:
    with runtime.db.read() as session:
        rows = repo.search(session, tenant_id=tenant_id, phone=phone, limit=limit)
        return MessagePage(items=[MessageOut.model_validate(r) for r in rows])


@admin.get("/messages/{message_id}", response_model=MessageDetail)
def get_message(message_id: str, runtime: RuntimeDep, _admin: Actor) -> MessageDetail:
    with runtime.db.read() as session:
        message = repo.get(session, message_id)
        history = [
            TransitionOut.model_validate(t) for t in repo.transitions_of(session, message_id)
        ]
        return MessageDetail(**MessageOut.model_validate(message).model_dump(), transitions=history)


@admin.post(
    "/messages",
    response_model=MessageOut,
    status_code=202,
    responses={409: {"description": "recipient_opted_out, or the key sent another text"}},
)
def send_message(body: SendIn, runtime: RuntimeDep, actor: Actor) -> MessageOut:
    """Text a number as an operator; sent after this answer, at most once per key."""
    with runtime.db.transaction() as session:
        sent = service.send_sms(
            session, runtime, to=body.to, body=body.body, purpose=body.purpose,
            key=body.key, tenant_id=body.tenant_id,
        )  # fmt: skip
        audit.record(
            session, runtime.clock.now(), actor=actor, action="message.send",
            target=f"message:{sent.id}", after={"purpose": sent.purpose, "key": sent.key},
        )  # fmt: skip
        return MessageOut.model_validate(repo.get(session, sent.id))


@admin.post(
    "/messages/{message_id}/retry",
    response_model=MessageOut,
    status_code=202,
    responses={409: {"description": "the message was sent or ended already"}},
)
def retry_message(message_id: str, runtime: RuntimeDep, actor: Actor) -> MessageOut:
    """Send again a text that is pending or in doubt (Twilio is checked first: never twice)."""
    with runtime.db.transaction() as session:
        service.retry(session, runtime, message_id)
        audit.record(
            session, runtime.clock.now(), actor=actor, action="message.retry",
            target=f"message:{message_id}",
        )  # fmt: skip
        return MessageOut.model_validate(repo.get(session, message_id))


@admin.get("/opt-outs/{phone}", response_model=OptOutOut)
def opt_out_state(phone: str, runtime: RuntimeDep, _admin: Actor) -> OptOutOut:
    number = service.normalise(phone, runtime.product.default_region)
    with runtime.db.read() as session:
        return OptOutOut(phone=number, opted_out=repo.is_opted_out(session, number))
