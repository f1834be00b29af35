"""Shared steps of the public signup tests: the wizard over HTTP, links read from the mail sink."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support import Server

LINK = re.compile(r"/account/link/([A-Za-z0-9_-]{20,})")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start(server: Server, name: str, email: str, **extra: Any) -> httpx.Response:
    headers = extra.pop("headers", {})
    return server.http.post(
        "/public/signup/start", json={"name": name, "email": email, **extra}, headers=headers
    )


def links(server: Server, email: str, subject: str = "", timeout: float = 10) -> list[str]:
    """Every magic-link token mailed to ``email`` so far whose subject starts with ``subject``
    (waits for the first)."""
    sink = server.app.state.sandboxes.mail

    def mails() -> list[Any]:
        return [m for m in sink.to(email) if m.subject.startswith(subject)]

    server.wait_for(lambda: bool(mails()), timeout=timeout)
    return [t for mail in mails() for t in LINK.findall(mail.text)]


def verify(server: Server, email: str) -> httpx.Response:
    token = links(server, email, "Confirm your email")[-1]
    return server.http.post("/public/auth/redeem", json={"token": token})


def wizard(
    server: Server,
    name: str,
    email: str,
    plan: str,
    inputs: dict[str, Any],
    *,
    keys: str | None = None,
) -> dict[str, Any]:
    """The three steps; with ``keys``, each carries an Idempotency-Key derived from it."""

    def key(step: str) -> dict[str, str]:
        return {"Idempotency-Key": f"{keys}-{step}"} if keys else {}

    r = start(server, name, email, headers=key("start"))
    assert r.status_code == 201, r.text
    started = r.json()
    colours = {"primary_color": "#112233", "secondary_color": "#ffcc00"}
    r = server.http.post(
        "/public/signup/brand", json=colours, headers={**bearer(started["token"]), **key("brand")}
    )
    assert r.status_code == 200, r.text
    r = server.http.post(
        "/public/signup/plan",
        json={"plan": plan, "inputs": inputs},
        headers={**bearer(r.json()["token"]), **key("plan")},
    )
    assert r.status_code == 200, r.text
    return {"start": started, "plan": r.json()}
