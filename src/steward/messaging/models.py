"""Messages (both directions), their status history, and the numbers that opted out.

Outbound:

    pending ──▶ claimed ──▶ accepted | queued ──▶ sending ──▶ sent ──▶ delivered ──▶ read
       │           │  ▲                                          └───▶ undelivered | failed
       │           └──┘ released: Twilio refused the request, nothing was sent
       └──▶ failed   (refused before any send: opted out, Twilio's 4xx)

Every Twilio status moves a message only forward (``providers.twilio.status.may_replace``): a
late or duplicated callback never overwrites a newer status. Inbound messages are ``received``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime
from steward.providers.twilio import MessageStatus, may_replace

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class Status(StrEnum):
    PENDING = "pending"  # recorded by send_sms; the send workflow has not claimed it yet
    CLAIMED = "claimed"  # the send step took it and is calling Twilio; outcome not yet recorded
    SCHEDULED = "scheduled"  # Twilio: held by a Messaging Service until its send time
    ACCEPTED = "accepted"  # Twilio: taken by a Messaging Service, sender not chosen yet
    QUEUED = "queued"  # Twilio: in its outbound queue
    SENDING = "sending"  # Twilio: being handed to the carrier
    SENT = "sent"  # Twilio: the carrier took it, no receipt yet
    DELIVERED = "delivered"  # Twilio: the handset got it
    UNDELIVERED = "undelivered"  # Twilio: the carrier could not deliver it (error_code says why)
    FAILED = "failed"  # not sent: Twilio or Steward refused it (error_code / error say why)
    PARTIALLY_DELIVERED = "partially_delivered"  # Twilio: some segments only
    READ = "read"  # Twilio: opened (WhatsApp, RCS)
    CANCELED = "canceled"  # Twilio: a scheduled message canceled
    RECEIVING = "receiving"  # inbound, segments still arriving
    RECEIVED = "received"  # inbound, complete


class Direction(StrEnum):
    IN = "in"  # a handset texted one of our numbers
    OUT = "out"  # we text a handset


INBOUND = frozenset({Status.RECEIVING, Status.RECEIVED})
# The Twilio statuses an outbound message can have, as the provider's enum (for may_replace).
_TWILIO = {
    s.value: MessageStatus(s.value)
    for s in Status
    if s.value in set(MessageStatus) and s not in INBOUND
}


def _table() -> dict[Status, frozenset[Status]]:
    table: dict[Status, frozenset[Status]] = {
        Status.PENDING: frozenset({Status.CLAIMED, Status.FAILED}),
        # Twilio answers a send with its first status; a 4xx releases the claim.
        Status.CLAIMED: frozenset({Status.PENDING, Status.FAILED, *(Status(v) for v in _TWILIO)}),
    }
    for value, status in _TWILIO.items():
        table[Status(value)] = frozenset(
            Status(v) for v, other in _TWILIO.items() if may_replace(status, other)
        )
    table.update(dict.fromkeys(INBOUND, frozenset()))  # inbound texts change no more
    return table


TRANSITIONS: dict[Status, frozenset[Status]] = _table()


def sources_of(target: Status) -> tuple[Status, ...]:
    return tuple(s for s, targets in TRANSITIONS.items() if target in targets)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        sa.UniqueConstraint("twilio_sid", name="uq_messages_twilio_sid"),
        sa.UniqueConstraint("idempotency_key", name="uq_messages_key"),
        sa.Index("ix_messages_tenant", "tenant_id", "created_at"),
        sa.Index("ix_messages_to", "to_number", "created_at"),
        sa.Index("ix_messages_status", "status"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(sa.String(40))
    direction: Mapped[str] = mapped_column(sa.String(8))
    purpose: Mapped[str] = mapped_column(sa.String(64))  # what the text is for: welcome, help...
    to_number: Mapped[str] = mapped_column(sa.String(32))
    from_number: Mapped[str] = mapped_column(sa.String(32))
    # The text, for the conversation view (the cockpit masks it), and its SHA-256.
    body: Mapped[str] = mapped_column(sa.Text)
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    twilio_sid: Mapped[str | None] = mapped_column(sa.String(34))
    status: Mapped[str] = mapped_column(sa.String(24))
    error_code: Mapped[int | None] = mapped_column(sa.Integer)  # Twilio's, e.g. 30003, 21610
    error: Mapped[str | None] = mapped_column(sa.String(500))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MessageTransition(Base):
    """One status change of a message and what caused it (a send, an inbox event...)."""

    __tablename__ = "message_transitions"
    __table_args__ = (sa.Index("ix_message_transitions_message", "message_id", "id"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(sa.String(24))
    to_status: Mapped[str] = mapped_column(sa.String(24))
    cause: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class OptOut(Base):
    """A handset that texted STOP (or that Twilio refused with 21610): never texted while
    ``opted_out``; a START opts it back in."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(sa.Boolean)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opted_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cause: Mapped[str] = mapped_column(sa.String(200))
