"""Shared set-up for the subscription lifecycle tests: a server on a test clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from steward.bootstrap import build
from steward.kit.clock import TestClock
from steward.product import Plan, Product
from tests.support import ADMIN, Server, free_port, settings_for

PRODUCT = Product(
    name="Lifecycle",
    plans=[
        Plan(key="starter", name="Starter", price=2900, currency="gbp", trial_days=7, grace_days=3),
        Plan(
            key="flex",
            name="Flex",
            price=1900,
            currency="gbp",
            trial_days=7,
            cancel_policy="immediate_in_trial",
        ),
        Plan(key="pro", name="Pro", price=9900, currency="gbp"),
    ],
)


@contextmanager
def lifecycle_server(db: tuple[str, str], **overrides: Any) -> Iterator[tuple[Server, TestClock]]:
    clock = TestClock()
    settings = settings_for(*db, port=free_port(), **overrides)
    with Server(settings, build(settings, clock=clock, product=PRODUCT)) as server:
        yield server, clock


def advance(server: Server, clock: TestClock, delta: timedelta) -> None:
    """Move Stripe's test clock and Steward's clock together, then let the webhooks land."""
    server.sandbox.lifecycle.advance(int(delta.total_seconds()))
    clock.advance(delta)
    assert server.sandbox.wait_idle(15)
    server.wait_for(server.settled)


def signup(
    server: Server, email: str, phone: str | None = "+447911123456"
) -> tuple[str, dict[str, str]]:
    r = server.http.post(
        "/admin/api/tenants", json={"email": email, "name": "Ace", "phone": phone}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    tenant_id = r.json()["id"]
    token = server.http.post(f"/admin/api/tenants/{tenant_id}/token", headers=ADMIN).json()["token"]
    return tenant_id, {"Authorization": f"Bearer {token}"}


def pay(server: Server, auth: dict[str, str], plan: str = "starter") -> dict[str, Any]:
    r = server.http.post("/api/v1/checkout", json={"plan": plan}, headers=auth)
    assert r.status_code == 200, r.text
    server.sandbox.complete_checkout(r.json()["session_id"], phone="+447911123456")
    assert server.sandbox.wait_idle(15)
    server.wait_for(server.settled)
    return dict(r.json())


def tenant(server: Server, tenant_id: str) -> dict[str, Any]:
    return dict(server.http.get(f"/admin/api/tenants/{tenant_id}", headers=ADMIN).json())


def subscription(server: Server, tenant_id: str) -> dict[str, Any]:
    return dict(
        server.http.get(f"/admin/api/tenants/{tenant_id}/subscription", headers=ADMIN).json()
    )


def entitlements(server: Server, auth: dict[str, str]) -> dict[str, Any]:
    return dict(server.http.get("/api/v1/entitlements", headers=auth).json())
