"""A JobRun client's journey, driven as Twilio and Stripe drive it: the client's handset calls and
texts JobRun's number in the Twilio sandbox, which posts signed webhooks to the server and carries
its replies back; the Stripe sandbox pays the texted link and sends its signed webhooks; the admin
API shows the outcome."""

from __future__ import annotations

import json
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
from steward.providers.twilio.sandbox import TwilioSandbox

PHONE = "+447911123456"
NUMBERS = ["+442079460001", "+442079460002"]  # the pool, in the sandbox's drama range
ANSWERS = ("Ace Plumbing", "plumber", "Leeds LS1", "owner@aceplumbing.example")


@contextmanager
def jobrun(db: tuple[str, str], **overrides: Any) -> Iterator[Journey]:
    clock = TestClock()
    values: dict[str, Any] = {
        "domain_queue_poll_seconds": 0.05,
        "twilio_from_number": JOBRUN_NUMBER,
    } | overrides
    settings = settings_for(*db, port=free_port(), **values)
    with Server(settings, build(settings, clock=clock, product=product)) as server:
        twilio = server.app.state.sandboxes.twilio
        for number in NUMBERS:  # the pool's numbers, bought and pointed at this server
            twilio.add_number(
                number,
                SmsUrl=f"{server.base_url}/webhooks/twilio/sms",
                VoiceUrl=f"{server.base_url}/webhooks/twilio/voice",
                StatusCallback=f"{server.base_url}/webhooks/twilio/status",
            )
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
    @property
    def twilio(self) -> TwilioSandbox:
        sandbox = self.server.app.state.sandboxes.twilio
        assert isinstance(sandbox, TwilioSandbox)
        return sandbox

    def deliver(self, type: str, external_id: str, form: dict[str, str]) -> bool:
        """Store a Twilio event as the messaging layer's webhook does, bypassing the sandbox."""
        payload = {"id": external_id, "type": type, "form": form}
        inbox = self.server.runtime.service(Inbox)
        done = inbox.ingest("twilio", json.dumps(payload).encode(), payload)
        self.settle()
        return not done.duplicate

    def missed_call(self, phone: str = PHONE) -> str:
        call = self.twilio.call(phone, JOBRUN_NUMBER, ending="no-answer")
        self.settle()
        return str(call["sid"])

    def text(self, body: str, phone: str = PHONE) -> str:
        message = self.twilio.text(phone, JOBRUN_NUMBER, body)
        self.settle()
        return str(message["sid"])

    def call_ended(self, to: str, phone: str = PHONE, status: str = "completed") -> str:
        call = self.twilio.call(phone, to, ending=status)
        self.settle()
        return str(call["sid"])

    def texted(self, fragment: str, phone: str = PHONE) -> None:
        """Wait until the handset was texted something containing ``fragment`` by Steward
        (the send workflow runs after the commit that asked for it)."""

        def arrived() -> bool:
            sent = self.twilio.messages(to=phone)
            return any(fragment in str(m["body"]) for m in sent if m["direction"] == "outbound-api")

        self.server.wait_for(arrived, 20)

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
        """Wait for the Twilio sandbox's posts and for the inbox to drain. Events that arrive
        before the one they depend on are retried with backoff on Steward's clock, which the
        test holds: nudge it a second."""

        def settled() -> bool:
            if self.server.settled():
                return True
            self.clock.advance(timedelta(seconds=1))
            return False

        assert self.twilio.wait_idle(20)
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
