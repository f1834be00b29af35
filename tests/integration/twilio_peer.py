"""The Twilio sandbox as the suite meets it: served by uvicorn on a free port under the mount
Steward uses, and a receiving app that records each webhook and checks its signature with the
SDK's own RequestValidator."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI, Request, Response
from twilio.request_validator import RequestValidator

from steward.providers.twilio import TwilioGateway, decode_form
from steward.providers.twilio.sandbox import TwilioSandbox

MOUNT = "/sandbox/twilio"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """``app`` under a real uvicorn server on a free 127.0.0.1 port, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, ws="none", lifespan="off",
        timeout_graceful_shutdown=1,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


@dataclass(frozen=True)
class Hook:
    name: str  # the last path segment: sms, voice, status…
    url: str  # as the receiver saw it
    form: dict[str, str]
    headers: dict[str, str]
    valid: bool  # RequestValidator's verdict


@dataclass
class Receiver:
    """Steward's side of the wire in miniature: every POST to ``/hooks/{name}`` is recorded;
    ``twiml`` is the answer to SMS and voice webhooks."""

    token: str
    base: str = ""
    twiml: str = "<Response/>"
    hooks: list[Hook] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()
        validator = RequestValidator(self.token)

        @app.post("/hooks/{name}")
        async def hook(request: Request, name: str) -> Response:
            form = decode_form(await request.body())
            url = str(request.url)
            signature = request.headers.get("x-twilio-signature", "")
            hook = Hook(
                name, url, form, dict(request.headers), validator.validate(url, form, signature)
            )
            with self.lock:
                self.hooks.append(hook)
            return Response(self.twiml, media_type="application/xml")

        return app

    def url(self, name: str) -> str:
        return f"{self.base}/hooks/{name}"

    def received(self, name: str | None = None) -> list[Hook]:
        with self.lock:
            return [h for h in self.hooks if name is None or h.name == name]

    def wait(self, count: int, name: str | None = None, timeout: float = 5) -> list[Hook]:
        deadline = time.monotonic() + timeout
        while len(self.received(name)) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received(name)


@dataclass
class Peer:
    sandbox: TwilioSandbox
    api: str  # the SDK's base address: the mount point
    gateway: TwilioGateway
    receiver: Receiver
    sdk: object = None  # the gateway's twilio.rest.Client, for raw SDK calls

    def buy(self, *, sms: str = "sms", voice: str = "voice", status: str = "status") -> str:
        """A number of the account with its webhooks on the receiver; returns it."""
        offer = self.gateway.search_numbers("US", area_code="415", limit=1)[0]
        self.gateway.buy_number(
            offer.phone_number,
            sms_url=self.receiver.url(sms),
            voice_url=self.receiver.url(voice),
            status_callback=self.receiver.url(status),
        )
        return offer.phone_number


@contextmanager
def peer(
    make_gateway: Callable[[str, TwilioSandbox], TwilioGateway] | None = None,
) -> Iterator[Peer]:
    sandbox = TwilioSandbox()
    receiver = Receiver(sandbox.auth_token)
    host = FastAPI()  # mounted as Steward mounts it
    host.mount(MOUNT, sandbox.app)
    sandbox.start()
    try:
        with serve(receiver.app()) as hooks, serve(host) as base:
            receiver.base = hooks
            api = base + MOUNT
            gateway = (
                make_gateway(api, sandbox)
                if make_gateway
                else TwilioGateway(sandbox.account_sid, sandbox.auth_token, api)
            )
            try:
                yield Peer(sandbox, api, gateway, receiver, gateway.client)
            finally:
                gateway.close()
    finally:
        sandbox.stop()
