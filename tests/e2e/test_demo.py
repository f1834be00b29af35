"""What `make run` does: a scripted customer signs up, pays in the Stripe sandbox, is activated."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from steward.demo.script import scripted_customer
from tests.support import ADMIN, ROOT, Server, free_port, settings_for


def test_scripted_customer_is_activated_by_the_sandbox_webhooks(db: tuple[str, str]) -> None:
    with Server(settings_for(*db, port=free_port())) as server:
        tenant = scripted_customer(server.runtime, server.sandbox, server.base_url)
        assert tenant["payment_status"] == "active"
        assert tenant["billing_status"] == "trialing"
        assert tenant["stripe_subscription_id"].startswith("sub_")
        server.wait_for(server.settled)
        kinds = [
            e["type"] for e in server.http.get("/admin/api/events", headers=ADMIN).json()["items"]
        ]
        assert "checkout.session.completed" in kinds and "customer.subscription.created" in kinds
        assert all(d.status_code == 200 for d in server.sandbox.deliveries if d.status_code)


def test_make_run_says_where_the_cockpit_is_and_its_login_works(db: tuple[str, str]) -> None:
    """``steward serve --demo`` as a newcomer runs it: no mail-sink chatter first, then a cockpit
    URL, email and password that log in; a second run keeps the one demo operator and gives it a
    new password, so the old one no longer works."""
    url, schema = db
    with _serve_demo(url, schema) as first:
        assert "Peer:" not in first.output and "AUTH mechanisms" not in first.output
        assert first.output.startswith("{")  # Steward's own (JSON) log lines come first
        assert first.email == "demo@steward.local"
        assert _logs_in(first.url, first.email, first.password)
    with _serve_demo(url, schema) as second:
        assert second.email == first.email and second.password != first.password
        assert _logs_in(second.url, second.email, second.password)
        assert not _logs_in(second.url, first.email, first.password)


@dataclass(frozen=True)
class _Demo:
    output: str  # everything printed up to the login line
    url: str
    email: str
    password: str


def _logs_in(url: str, email: str, password: str) -> bool:
    r = httpx.post(url, data={"email": email, "password": password}, timeout=30)
    assert r.status_code == 303, r.text
    return r.headers["location"] == "/cockpit" and "steward_session" in r.cookies


@contextmanager
def _serve_demo(url: str, schema: str) -> Iterator[_Demo]:
    env = os.environ | {
        "STEWARD_DATABASE_URL": url,
        "STEWARD_DBOS_SCHEMA": schema,
        "STEWARD_APP_VERSION": f"test-{uuid.uuid4().hex[:12]}",
        "STEWARD_SANDBOX_SMTP_PORT": str(free_port()),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),  # this checkout's code
    }
    env.pop("STEWARD_LOG_LEVEL", None)  # a newcomer's default: info
    proc = subprocess.Popen(
        [sys.executable, "-m", "steward", "serve", "--demo", "--port", str(free_port())],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watchdog = threading.Timer(120, proc.kill)  # a silent hang fails the test, not the run
    watchdog.start()
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:  # the demo prints its login within seconds
            lines.append(line)
            found = re.search(r"cockpit: (\S+)\s+email: (\S+)\s+password: (\S+)", line)
            if found:
                yield _Demo("".join(lines), *found.groups())
                return
            assert len(lines) < 500, "".join(lines)
        raise AssertionError("the demo printed no cockpit login:\n" + "".join(lines))
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.wait(30)
