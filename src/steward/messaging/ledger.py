"""The message rows as the Twilio gateway's send ledger (``providers.twilio.ledger``): a send's
key is its message's idempotency key; each call commits on its own, before or after Twilio is
called, so a re-run of the send step never texts twice."""

from __future__ import annotations

from steward.db import Database
from steward.errors import IllegalTransition, NotFound
from steward.kit.clock import Clock
from steward.messaging import repository as repo
from steward.messaging.models import Status
from steward.providers.twilio import SendInDoubt


class MessageLedger:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def claim(self, key: str) -> str | None:
        with self.db.transaction() as session:
            message = repo.by_key(session, key)
            if message is None:
                raise NotFound(f"no message has the send key {key!r}")
            if message.twilio_sid:
                return message.twilio_sid
            if message.status == Status.PENDING:
                now = self.clock.now()
                repo.transition(
                    session, message.id, Status.CLAIMED, now, "send: claimed", claimed_at=now
                )
                return None
            if message.status == Status.CLAIMED:
                raise SendInDoubt(
                    f"message {message.id}: its send began but was never recorded", key=key
                )
            raise IllegalTransition(
                f"message {message.id} is {message.status}; it is not to be sent",
                message_id=message.id,
                status=message.status,
            )

    def record(self, key: str, sid: str) -> None:
        with self.db.transaction() as session:
            repo.set_sid(session, key, sid, self.clock.now())

    def release(self, key: str) -> None:
        with self.db.transaction() as session:
            message = repo.by_key(session, key)
            if message is not None and message.twilio_sid is None:
                repo.transition(
                    session, message.id, Status.PENDING, self.clock.now(), "send: released"
                )
