"""One message's send, run by the send workflow's step: at most one text per message.

The Twilio gateway keeps its ledger in the message row (``ledger``): the claim commits before
Twilio is called, the sid right after. A re-run of the step finds the sid and fetches the message
instead of sending; a claim without a sid (a crash or a timeout mid-send: Twilio may or may not
have the text) is resolved by looking at Twilio's recent messages, never by sending blindly."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session

from steward.errors import IllegalTransition
from steward.kit.phone import mask_phone
from steward.messaging import repository as repo
from steward.messaging import service
from steward.messaging.models import Status
from steward.providers.twilio import (
    RecipientOptedOut,
    SendInDoubt,
    SendLedger,
    SmsMessage,
    TwilioRejected,
)
from steward.runtime import Runtime

log = structlog.get_logger("steward.messaging")
SEND_FAILED = "message.send_failed"
LOOK_BACK = timedelta(minutes=2)  # clocks differ: Twilio's date_created against our claim


def status_callback(runtime: Runtime) -> str:
    return runtime.settings.public_url.rstrip("/") + "/webhooks/twilio/status"


def send_now(runtime: Runtime, *, to: str, body: str, purpose: str, key: str) -> str:
    """Record and send in this process, for a caller that is itself a retried durable step (an
    alert's delivery attempt) or has no engine (the CLI); at most once per ``key`` all the same.
    Returns the message's status after the attempt."""
    with runtime.db.transaction() as session:
        message, _ = service.record_sms(
            session, runtime, to=to, body=body, purpose=purpose, key=key
        )
    return send(runtime, message.id)


def send(runtime: Runtime, message_id: str) -> str:
    """Send the message unless it already was; returns its status after the attempt."""
    with runtime.db.transaction() as session:
        message = repo.get(session, message_id)
        if message.status not in (Status.PENDING, Status.CLAIMED):
            return message.status
        if message.status == Status.PENDING and repo.is_opted_out(session, message.to_number):
            repo.transition(
                session, message_id, Status.FAILED, runtime.clock.now(),
                "send: the recipient opted out since", error="recipient_opted_out",
            )  # fmt: skip
            return Status.FAILED.value
        to, body, sender, key = (
            message.to_number, message.body, message.from_number, message.idempotency_key
        )  # fmt: skip

    def attempt() -> SmsMessage:
        return runtime.twilio.send_sms(
            to=to, body=body, from_number=sender, status_callback=status_callback(runtime), key=key
        )

    try:
        try:
            sent = attempt()
        except SendInDoubt:
            resolve_in_doubt(runtime, message_id)
            sent = attempt()
    except RecipientOptedOut as exc:
        with runtime.db.transaction() as session:
            _fail(runtime, session, message_id, exc)
            service.opt_out(session, runtime, to, f"twilio {exc.twilio_code}: send {message_id}")
        return Status.FAILED.value
    except TwilioRejected as exc:
        with runtime.db.transaction() as session:
            _fail(runtime, session, message_id, exc)
        log.warning("messaging.rejected", message_id=message_id, to=mask_phone(to), error=str(exc))
        return Status.FAILED.value
    with runtime.db.transaction() as session:
        # IllegalTransition: a status callback got there first, with a later status.
        with contextlib.suppress(IllegalTransition):
            repo.transition(
                session, message_id, Status(sent.status.value), runtime.clock.now(),
                f"send: twilio answered {sent.sid}",
            )  # fmt: skip
        return repo.get(session, message_id).status


def _fail(runtime: Runtime, session: Session, message_id: str, exc: TwilioRejected) -> None:
    """Twilio refused the send (the gateway released the claim): nothing went out."""
    repo.transition(
        session, message_id, Status.FAILED, runtime.clock.now(),
        f"send: twilio refused ({exc.twilio_code})",
        error_code=exc.twilio_code, error=str(exc)[:500],
    )  # fmt: skip


def give_up(runtime: Runtime, message_id: str, error: str) -> str:
    """The send could not be completed: tell the operator (an alert rule listens), except for
    an alert's own text, whose failure the alert delivery log already shows."""
    with runtime.db.transaction() as session:
        message = repo.get(session, message_id)
        log.error("messaging.send_gave_up", message_id=message_id, error=error)
        if message.purpose != "alert":
            runtime.bus.publish(
                session, SEND_FAILED, tenant_id=message.tenant_id,
                data={"message_id": message_id, "status": message.status,
                      "resource_id": f"message:{message_id}",
                      "message": f"text {message_id} to {mask_phone(message.to_number)} not "
                                 f"sent ({message.status}); retry it once Twilio answers: "
                                 f"{error}"[:500]},
            )  # fmt: skip
        return message.status


def resolve_in_doubt(runtime: Runtime, message_id: str) -> None:
    """Record the sid of the text Twilio has for this message, or release the claim when it has
    none (the send never reached it)."""
    ledger: SendLedger | None = runtime.twilio.ledger
    assert ledger is not None, "messaging's setup gives the gateway its ledger"
    with runtime.db.read() as session:
        message = repo.get(session, message_id)
        claimed_at = message.claimed_at or message.created_at
        to, sender, body, key = (
            message.to_number, message.from_number, message.body, message.idempotency_key
        )  # fmt: skip
    candidates = runtime.twilio.list_messages(to=to, from_number=sender, limit=50)
    with runtime.db.read() as session:
        found = next(
            (
                m.sid
                for m in candidates
                if m.body == body
                and m.direction == "outbound-api"
                and m.created_at >= claimed_at - LOOK_BACK
                and repo.by_sid(session, m.sid) is None
            ),
            None,
        )
    if found is not None:
        ledger.record(key, found)
        log.info("messaging.in_doubt_found", message_id=message_id, sid=found)
    else:
        ledger.release(key)
        log.info("messaging.in_doubt_released", message_id=message_id)
