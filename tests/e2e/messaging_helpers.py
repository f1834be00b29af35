"""Helpers for the messaging tests: a Steward server whose product number lives in the mounted
Twilio sandbox, handsets that text it, and reads of what each side holds."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from steward.providers.twilio.sandbox import TwilioSandbox
from tests.support import ADMIN, Server, database, free_port, settings_for

NUMBER = "+442079460001"  # the product's sending number, in the sandbox's London range
_handsets = itertools.count(10)


def handset() -> str:
    """A fresh US handset per test (555-01xx, a range reserved for fiction)."""
    return f"+1415555{next(_handsets) % 100:04d}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server per module and database; a module may set SERVER_SETTINGS."""
    overrides = getattr(request.module, "SERVER_SETTINGS", {})
    with database(request.param, tmp_path_factory.mktemp("messaging")) as db:
        settings = settings_for(
            *db, port=free_port(), twilio_from_number=NUMBER, domain_queue_poll_seconds=0.05,
            **overrides,
        )  # fmt: skip
        with Server(settings) as srv:
            yield srv


def twilio(server: Server) -> TwilioSandbox:
    sandbox = server.app.state.sandboxes.twilio
    assert isinstance(sandbox, TwilioSandbox)
    return sandbox


@pytest.fixture(autouse=True)
def clean_faults(server: Server) -> Iterator[None]:
    yield
    sandbox = twilio(server)
    sandbox.faults.update({"reorder": False, "duplicate": 0, "fail_next": 0, "delay_ms": 0})
    sandbox.flush()


def wait(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def events(server: Server, **params: str) -> list[dict[str, Any]]:
    r = server.http.get("/admin/api/events", params={"limit": 500, **params}, headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def messages(server: Server, phone: str) -> list[dict[str, Any]]:
    r = server.http.get("/admin/api/messaging/messages", params={"phone": phone}, headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def message(server: Server, message_id: str) -> dict[str, Any]:
    r = server.http.get(f"/admin/api/messaging/messages/{message_id}", headers=ADMIN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def send(server: Server, to: str, key: str, body: str = "Your JobRun number is ready") -> Any:
    return server.http.post(
        "/admin/api/messaging/messages",
        json={"to": to, "body": body, "key": key, "purpose": "test"},
        headers=ADMIN,
    )


def api_sends(server: Server, to: str) -> list[dict[str, Any]]:
    """What Steward sent through Twilio's API to ``to`` (not Twilio's own auto-replies)."""
    return [m for m in twilio(server).messages(to=to) if m["direction"] == "outbound-api"]


def opted_out(server: Server, phone: str) -> bool:
    r = server.http.get(f"/admin/api/messaging/opt-outs/{phone}", headers=ADMIN)
    assert r.status_code == 200, r.text
    return bool(r.json()["opted_out"])


def status_of(server: Server, message_id: str) -> str:
    return str(message(server, message_id)["status"])
