"""Shared set-up for the recovery tests: a server on a test clock with the Whop sandbox as a peer,
a company that installed the app, and helpers that read the company's API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from steward.bootstrap import build
from steward.kit.clock import TestClock
from steward.product import Product
from steward.providers.whop.sandbox import WhopSandbox
from steward.recovery import workflows
from steward.recovery.workflows import TickReport
from tests.e2e.subscription_support import PRODUCT
from tests.support import ADMIN, Server, free_port, settings_for

NEVER = "0 0 0 1 1 *"  # the scheduled tick stays out of the way: tests tick themselves
COMPANY = "acme-co"
WHOP_COMPANY = "biz_acme0001"
EXPERIENCE = "exp_acme0001"


@contextmanager
def recovery_server(
    db: tuple[str, str], product: Product = PRODUCT, **overrides: Any
) -> Iterator[tuple[Server, TestClock]]:
    clock = TestClock()
    values: dict[str, Any] = {"recovery_tick_cron": NEVER, **overrides}
    settings = settings_for(*db, port=free_port(), **values)
    with Server(settings, build(settings, clock=clock, product=product)) as server:
        yield server, clock


def whop(server: Server) -> WhopSandbox:
    sandbox = server.app.state.sandboxes.whop
    assert isinstance(sandbox, WhopSandbox)
    return sandbox


def install(
    server: Server, company: str = COMPANY, whop_company: str = WHOP_COMPANY, **settings: Any
) -> dict[str, str]:
    """The company installs the app: an operator links it, it saves its settings."""
    r = server.http.put(
        f"/admin/api/recovery/companies/{company}/whop",
        json={"whop_company_id": whop_company},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text
    auth = {"Authorization": f"Bearer {server.runtime.tokens.issue(company)}"}
    body = {
        "offsets_days": [1, 3],
        "channels": ["push", "dm"],
        "attempts_before_cancel": 2,
        "whop_experience_id": EXPERIENCE,
        **settings,
    }
    r = server.http.put("/api/v1/recovery/settings", json=body, headers=auth)
    assert r.status_code == 200, r.text
    return auth


def member(server: Server, user: str, whop_company: str = WHOP_COMPANY) -> str:
    membership = whop(server).create_membership(
        {
            "company": {"id": whop_company, "title": "Acme"},
            "user": {"id": user},
            "plan": {"id": f"plan_{whop_company}", "price": 2500, "currency": "usd"},
        }
    )
    settle(server)
    return str(membership["id"])


def settle(server: Server) -> None:
    assert whop(server).wait_idle(15)
    server.wait_for(server.settled)


def cases(server: Server, auth: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    r = server.http.get("/api/v1/recovery/dashboard/cases", params=params, headers=auth)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def case(server: Server, auth: dict[str, str], case_id: str) -> dict[str, Any]:
    r = server.http.get(f"/api/v1/recovery/cases/{case_id}", headers=auth)
    assert r.status_code == 200, r.text
    detail: dict[str, Any] = r.json()
    return detail


def fail_renewal(server: Server, auth: dict[str, str], membership_id: str) -> dict[str, Any]:
    whop(server).renew(membership_id, False)
    settle(server)
    found = cases(server, auth, membership_id=membership_id, state="open")
    assert len(found) == 1
    return found[0]


def tick(server: Server, clock: TestClock, delta: timedelta | None = None) -> TickReport:
    if delta is not None:
        clock.advance(delta)
    return workflows.tick(server.runtime)


def sent_to(server: Server, user: str) -> list[str]:
    """(kind) of every push and DM the Whop sandbox accepted for ``user``."""
    return [s.kind for s in whop(server).sent if user in s.user_ids]
