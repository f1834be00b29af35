"""Message and call statuses, and which callback may overwrite which.

Twilio sends one status callback per change, but not in order: callbacks race each other, are
retried, duplicated and delayed. A stored status is therefore replaced only by a later one in the
lifecycle (``may_replace``); an older or equal one is a late or duplicate callback, ignored."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar


class MessageStatus(StrEnum):
    SCHEDULED = "scheduled"  # held by a Messaging Service until its send_at
    ACCEPTED = "accepted"  # taken by a Messaging Service, sender not yet chosen
    QUEUED = "queued"  # waiting in Twilio's outbound queue
    SENDING = "sending"  # being handed to the carrier
    SENT = "sent"  # the carrier took it; no delivery receipt yet
    DELIVERED = "delivered"  # the carrier confirmed delivery to the handset
    UNDELIVERED = "undelivered"  # the carrier could not deliver it (see the error code)
    FAILED = "failed"  # Twilio could not send it (see the error code); not charged
    PARTIALLY_DELIVERED = "partially_delivered"  # some segments or recipients only
    READ = "read"  # opened on the handset (WhatsApp, RCS); after delivered
    CANCELED = "canceled"  # a scheduled message canceled before sending
    RECEIVING = "receiving"  # inbound: segments still arriving
    RECEIVED = "received"  # inbound: complete


class CallStatus(StrEnum):
    QUEUED = "queued"  # created, waiting to be dialled
    INITIATED = "initiated"  # dialling has started
    RINGING = "ringing"  # the far end is ringing
    IN_PROGRESS = "in-progress"  # answered
    COMPLETED = "completed"  # answered, then hung up
    BUSY = "busy"  # the far end was busy
    NO_ANSWER = "no-answer"  # rang out unanswered
    FAILED = "failed"  # could not be placed (e.g. an invalid number)
    CANCELED = "canceled"  # ended by the API while queued or ringing


_MESSAGE_RANK = {
    MessageStatus.SCHEDULED: 0,
    MessageStatus.ACCEPTED: 0,
    MessageStatus.RECEIVING: 1,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.PARTIALLY_DELIVERED: 4,
    MessageStatus.CANCELED: 4,
    MessageStatus.RECEIVED: 4,
    MessageStatus.READ: 5,
}
_CALL_RANK = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    CallStatus.COMPLETED: 4,
    CallStatus.BUSY: 4,
    CallStatus.NO_ANSWER: 4,
    CallStatus.FAILED: 4,
    CallStatus.CANCELED: 4,
}
# Nothing follows these. "delivered" is not among them: "read" may still come after it.
FINAL: frozenset[MessageStatus | CallStatus] = frozenset(
    {
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.PARTIALLY_DELIVERED,
        MessageStatus.CANCELED,
        MessageStatus.RECEIVED,
        MessageStatus.READ,
        *(s for s, r in _CALL_RANK.items() if r == 4),
    }
)

S = TypeVar("S", MessageStatus, CallStatus)


def rank(status: MessageStatus | CallStatus) -> int:
    """The status's place in its lifecycle: a higher rank is later."""
    if isinstance(status, MessageStatus):
        return _MESSAGE_RANK[status]
    return _CALL_RANK[status]


def may_replace(current: S, incoming: S) -> bool:
    """Whether a callback reporting ``incoming`` may overwrite the stored ``current``: only a
    strictly later status does, and nothing overwrites a final one."""
    if type(current) is not type(incoming):
        raise TypeError(f"cannot compare {current!r} with {incoming!r}")
    return current not in FINAL and rank(incoming) > rank(current)


def is_final(status: MessageStatus | CallStatus) -> bool:
    return status in FINAL
