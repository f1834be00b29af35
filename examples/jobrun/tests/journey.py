"""A JobRun client's journey, driven as Twilio and Stripe would drive it: Twilio-shaped posts
stored in the inbox as the messaging layer stores them (source ``twilio``, ``{"id", "type",
"form"}``), the Stripe sandbox paying the texted link and sending its signed webhooks, and the
admin API to look at the outcome."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from tests.support import ADMIN, Server, free_port, settings_for

from examples.jobrun.onboarding import JOBRUN_NUMBER
from examples.jobrun.product import product
from steward.bootstrap import build
from steward.inbox.service import Inbox
from steward.kit.clock import TestClock

PHONE = "+447911123456"
ACCOUNT = "AC" + "0" * 32
NUMBERS = ["+447700900001", "+447700900002"]
ANSWERS = ("Ace Plumbing", "plumber", "Leeds LS1", "owner@aceplumbing.example")


def sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@contextmanager
def jobrun(db: tuple[str, str], **overrides: Any) -> Iterator[Journey]:
    clock = TestClock()
    values: dict[str, Any] = {"domain_queue_poll_seconds": 0.05} | overrides
    settings = settings_for(*db, port=free_port(), **values)
    with Server(settings, build(settings, clock=clock, product=product)) as server:
        r = server.http.post(
            "/admin/api/pools/numbers/items",
            headers=ADMIN,
            json={"values": NUMBERS, "low_watermark": 0},
        )
        assert r.status_code == 200, r.text
        yield Journey(server, clock)


class Journey:
    def __init__(self, server: Server, clock: TestClock) -> None:
        self.server, self.clock = server, clock

    # -- Twilio ----------------------------------------------------------------------------------
    def deliver(self, type: str, external_id: str, form: dict[str, str]) -> bool:
        payload = {"id": external_id, "type": type, "form": form}
        inbox = self.server.runtime.service(Inbox)
        done = inbox.ingest("twilio", json.dumps(payload).encode(), payload)
        self.settle()
        return not done.duplicate

    def missed_call(self, phone: str = PHONE, call_sid: str | None = None) -> str:
        call_sid = call_sid or sid("CA")
        form = {"CallSid": call_sid, "AccountSid": ACCOUNT, "From": phone, "To": JOBRUN_NUMBER,
                "CallStatus": "ringing", "Direction": "inbound"}  # fmt: skip
        self.deliver("call.received", call_sid, form)
        return call_sid

    def text(self, body: str, phone: str = PHONE, message_sid: str | None = None) -> str:
        message_sid = message_sid or sid("SM")
        form = {"MessageSid": message_sid, "AccountSid": ACCOUNT, "From": phone,
                "To": JOBRUN_NUMBER, "Body": body, "NumSegments": "1", "NumMedia": "0"}  # fmt: skip
        self.deliver("sms.received", message_sid, form)
        return message_sid

    def call_ended(self, to: str, phone: str = PHONE, status: str = "completed") -> str:
        call_sid = sid("CA")
        form = {"CallSid": call_sid, "AccountSid": ACCOUNT, "From": phone, "To": to,
                "CallStatus": status, "Direction": "inbound", "CallDuration": "6"}  # fmt: skip
        self.deliver("call.status", f"{call_sid}:{status}", form)
        return call_sid

    # -- Stripe ----------------------------------------------------------------------------------
    def pay(self, tenant_id: str, phone: str | None = PHONE) -> str:
        """The client pays the texted link; returns the checkout session id."""
        session_id = self.onboarding(tenant_id)["signals"]["checkout_session"]
        self.server.sandbox.complete_checkout(session_id, phone=phone)
        assert self.server.sandbox.wait_idle(15)
        self.settle()
        return str(session_id)

    # -- looking -----------------------------------------------------------------------------------
    def settle(self) -> None:
        """Wait for the inbox to drain. Events that arrive before the one they depend on are
        retried with backoff on Steward's clock, which the test holds: nudge it a second."""

        def settled() -> bool:
            if self.server.settled():
                return True
            self.clock.advance(timedelta(seconds=1))
            return False

        self.server.wait_for(settled, 20)

    def tenant_id(self, phone: str = PHONE) -> str:
        with self.server.runtime.db.read() as session:
            found = session.execute(
                sa.text("SELECT tenant_id FROM onboarding_conversations WHERE address = :a"),
                {"a": phone},
            ).scalar_one()
        return str(found)

    def onboarding(self, tenant_id: str) -> dict[str, Any]:
        r = self.server.http.get(f"/admin/api/onboarding/{tenant_id}", headers=ADMIN)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def state(self, tenant_id: str) -> str:
        return str(self.onboarding(tenant_id)["state"])

    def wait_state(self, tenant_id: str, state: str, timeout: float = 40) -> None:
        self.server.wait_for(lambda: self.state(tenant_id) == state, timeout)

    def tenant(self, tenant_id: str) -> dict[str, Any]:
        r = self.server.http.get(f"/admin/api/tenants/{tenant_id}", headers=ADMIN)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def last_reply(self, tenant_id: str) -> str:
        out = [t for t in self.onboarding(tenant_id)["turns"] if t["direction"] == "out"]
        return str(out[-1]["body"])

    def details(self, phone: str = PHONE, answers: tuple[str, ...] = ANSWERS) -> str:
        """Missed call, then S1…S4 answered: the client is at the payment gate."""
        self.missed_call(phone)
        tenant_id = self.tenant_id(phone)
        for answer in answers:
            self.text(answer, phone)
        return tenant_id

    def to_number(self, tenant_id: str, phone: str = PHONE) -> str:
        """Pay; wait for the number (S7); return it."""
        self.pay(tenant_id, phone)
        self.wait_state(tenant_id, "S7_FORWARDING")
        return str(self.onboarding(tenant_id)["signals"]["number"])
