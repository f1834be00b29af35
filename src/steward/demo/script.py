"""The scripted customer of ``make run``: signs up, pays in the Stripe sandbox, gets activated.

Everything goes over real HTTP: the admin API to sign up, the Stripe SDK to the sandbox for the
checkout, the sandbox's signed webhook back to Steward's inbox."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import structlog

from steward.providers.stripe.sandbox import StripeSandbox
from steward.runtime import Runtime
from steward.subscriptions import checkout

log = structlog.get_logger("steward.demo")


def wait_until_up(base_url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {base_url} did not come up")


def scripted_customer(runtime: Runtime, sandbox: StripeSandbox, base_url: str) -> dict[str, Any]:
    """Returns the activated tenant as the admin API shows it."""
    headers = {"Authorization": f"Bearer {runtime.settings.admin_token}"}
    suffix = uuid.uuid4().hex[:6]
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        r = http.post(
            "/admin/api/tenants",
            json={
                "email": f"owner+{suffix}@example.com",
                "name": f"Ace Plumbing {suffix}",
                "phone": "+44 7911 123456",
                "plan": "starter",
            },
        )
        r.raise_for_status()
        tenant = r.json()
        log.info("demo.signed_up", tenant_id=tenant["id"], plan=tenant["plan"])
        session = checkout.open_checkout(runtime, tenant["id"], tenant["plan"])
        log.info(
            "demo.checkout_opened", tenant_id=tenant["id"], checkout_session=session.session_id
        )
        sandbox.complete_checkout(session.session_id, phone="+447911123456")
        log.info("demo.paid", tenant_id=tenant["id"], checkout_session=session.session_id)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tenant = http.get(f"/admin/api/tenants/{tenant['id']}").json()
            if tenant["payment_status"] == "active":
                log.info(
                    "demo.activated",
                    tenant_id=tenant["id"],
                    billing_status=tenant["billing_status"],
                    trial_ends_at=tenant["trial_ends_at"],
                    stripe_subscription_id=tenant["stripe_subscription_id"],
                )
                return dict(tenant)
            time.sleep(0.2)
    raise RuntimeError(f"tenant {tenant['id']} was not activated within 30 s")
