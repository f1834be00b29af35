"""Sending an SMS at most once, although Twilio's Messages API has no idempotency key.

A retried ``POST /Messages.json`` is a second text on the customer's phone. So the caller gives
each send a purpose key, unique for what the text is for (``"welcome:ten_42"``,
``"otp:ten_42:3"``), and keeps a ledger of keys (record before send):

1. ``claim(key)`` records the intent, committed *before* Twilio is called. A fresh key returns
   None: this caller sends. A key already sent returns its message sid: nothing is sent again and
   the gateway answers that message (so a retried job gets the recorded result).
2. After Twilio answers, ``record(key, sid)`` stores the sid. If Twilio *refused* the send (a
   4xx: it certainly did not happen), ``release(key)`` frees the key for a corrected attempt.
3. A key claimed but never recorded (a crash, a timeout, a 5xx: Twilio may or may not have
   queued the text) raises ``SendInDoubt`` on the next claim. Resolve it by looking, not by
   sending: ``TwilioGateway.list_messages(to=..., sent_after=claim time)``, then ``record`` the
   sid found or ``release`` the key.

In Steward the ledger is a table with a unique key column (``INSERT ... ON CONFLICT DO
NOTHING``, then read the row); ``MemoryLedger`` has the same semantics for tests and tools."""

from __future__ import annotations

import threading
from typing import Protocol

from steward.providers.twilio.errors import SendInDoubt


class SendLedger(Protocol):
    def claim(self, key: str) -> str | None:
        """None: the key is now ours, send. A sid: already sent. Raises SendInDoubt."""

    def record(self, key: str, sid: str) -> None:
        """The send under ``key`` produced message ``sid``."""

    def release(self, key: str) -> None:
        """The send under ``key`` certainly did not happen; the key may be claimed again."""


class MemoryLedger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sids: dict[str, str | None] = {}  # None: claimed, outcome unknown

    def claim(self, key: str) -> str | None:
        with self._lock:
            if key not in self._sids:
                self._sids[key] = None
                return None
            sid = self._sids[key]
        if sid is None:
            raise SendInDoubt(f"twilio: the send {key!r} began but was never recorded", key=key)
        return sid

    def record(self, key: str, sid: str) -> None:
        with self._lock:
            self._sids[key] = sid

    def release(self, key: str) -> None:
        with self._lock:
            self._sids.pop(key, None)

    def sid(self, key: str) -> str | None:
        with self._lock:
            return self._sids.get(key)
