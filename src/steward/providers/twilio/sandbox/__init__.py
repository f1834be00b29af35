"""A local Twilio: the REST API Steward calls, handsets that text and call, real signed webhooks,
and faults on the wire.

The real ``twilio`` SDK talks to ``TwilioSandbox.app`` unchanged: mount it (Steward mounts it at
``/sandbox/twilio``) and give ``TwilioGateway`` that address as ``api_base``. Webhooks go to the
URLs configured on the numbers (SmsUrl, VoiceUrl, StatusCallback) and to each message's
StatusCallback, signed with the account's Auth Token, from a background thread: ``start()``
before use, ``stop()`` after. The store is in memory; status changes are applied at once and
their callbacks follow (so a fetch may be ahead of the callbacks, as it can be at Twilio)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI

from steward.providers.twilio.sandbox import handsets
from steward.providers.twilio.sandbox.api import build_app
from steward.providers.twilio.sandbox.delivery import Deliverer, DeliveryRecord, Faults
from steward.providers.twilio.sandbox.numbers import buy, update
from steward.providers.twilio.sandbox.state import JSON, SandboxError, Store, new_sid

__all__ = [
    "ACCOUNT_SID",
    "AUTH_TOKEN",
    "DeliveryRecord",
    "Faults",
    "SandboxError",
    "TwilioSandbox",
]

ACCOUNT_SID = "AC" + "5a" * 16  # the sandbox's default account
AUTH_TOKEN = "sandbox" + "0" * 25  # 32 characters, as Twilio's


class TwilioSandbox:
    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.faults = Faults()
        self.store = Store(account_sid, auth_token, now or (lambda: datetime.now(UTC)))
        self.deliverer = Deliverer(auth_token, lambda: self.faults)
        self.app: FastAPI = build_app(self)

    @property
    def account_sid(self) -> str:
        return self.store.account_sid

    @property
    def auth_token(self) -> str:
        return self.store.auth_token

    # -- delivery ------------------------------------------------------------------------------
    def start(self) -> None:
        self.deliverer.start()

    def stop(self) -> None:
        self.deliverer.stop()

    def flush(self) -> int:
        """Release the webhooks held by ``faults.reorder``, newest first; returns their count."""
        return self.deliverer.flush()

    def wait_idle(self, timeout: float = 10) -> bool:
        return self.deliverer.wait_idle(timeout)

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        return self.deliverer.records

    # -- the world -----------------------------------------------------------------------------
    def text(self, handset: str, to: str, body: str) -> JSON:
        """``handset`` texts ``to``, one of the account's numbers; returns the inbound message."""
        return handsets.text_in(self, handset, to, body)

    def call(self, handset: str, to: str, *, ending: str = "completed", duration: int = 5) -> JSON:
        """``handset`` calls ``to``; the call ends as ``ending`` (completed, busy, no-answer,
        failed, canceled) after ``duration`` seconds if answered."""
        return handsets.call_in(self, handset, to, ending, duration)

    def set_handset(
        self, handset: str, *, reachable: bool = True, answer: str = "completed", duration: int = 5
    ) -> None:
        """Whether texts to ``handset`` are delivered, and how calls to it end."""
        with self.store.lock:
            if reachable:
                self.store.unreachable.discard(handset)
            else:
                self.store.unreachable.add(handset)
            self.store.answers[handset] = (answer, duration)

    def add_number(self, phone_number: str, **settings: str) -> JSON:
        """Own ``phone_number`` without the API; ``settings`` as the API's (``SmsUrl=...``)."""
        with self.store.lock:
            return copy.deepcopy(buy(self.store, {"PhoneNumber": phone_number, **settings}))

    def configure(self, phone_number: str, **settings: str) -> JSON:
        with self.store.lock:
            number = self.store.owned(phone_number)
            if number is None:
                raise SandboxError(404, 20404, f"{phone_number} is not a number of this account")
            return copy.deepcopy(update(self.store, number, settings))

    def add_messaging_service(self, numbers: list[str]) -> str:
        """A Messaging Service (MG…) sending from ``numbers``, which the account must own."""
        with self.store.lock:
            for number in numbers:
                if self.store.owned(number) is None:
                    raise SandboxError(404, 20404, f"{number} is not a number of this account")
            sid = new_sid("MG")
            self.store.services[sid] = list(numbers)
            return sid

    def opted_out(self, handset: str, number: str) -> bool:
        with self.store.lock:
            return (self.store.scope(number), handset) in self.store.opt_outs

    # -- records -------------------------------------------------------------------------------
    def messages(
        self, *, to: str | None = None, from_: str | None = None, direction: str = "outbound"
    ) -> list[JSON]:
        """Messages oldest first; ``direction``: outbound (API sends and replies), inbound, all."""
        with self.store.lock:
            rows = [
                copy.deepcopy(m)
                for m in self.store.messages.values()
                if (to is None or m["to"] == to)
                and (from_ is None or m["from"] == from_)
                and (direction == "all" or m["direction"].startswith(direction))
            ]
        return rows

    def calls(self, *, to: str | None = None, from_: str | None = None) -> list[JSON]:
        with self.store.lock:
            return [
                copy.deepcopy(c)
                for c in self.store.calls.values()
                if (to is None or c["to"] == to) and (from_ is None or c["from"] == from_)
            ]
