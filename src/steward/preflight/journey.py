"""A synthetic customer, for real, over HTTP against the deployment under test: sign up (admin
API), pay (the Stripe sandbox's checkout page), be activated and provisioned, cancel (tenant API),
have the subscription end (the sandbox's Stripe API), be deprovisioned, and be hard-deleted.

It pays only where a sandbox takes the payment, so it runs in development (required there) and
reports itself not run in production (advisory). Whatever step fails, the customer is cleaned up
as far as it can be."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import stripe

from steward.checks import Check, Finding, Probe

JSON = dict[str, Any]
SANDBOX_PAY = "/_sandbox/pay/"


class JourneyFailed(Exception):
    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step


def _ok(r: httpx.Response, step: str, *codes: int) -> JSON:
    if r.status_code not in (codes or (200,)):
        raise JourneyFailed(
            step, f"{r.request.method} {r.request.url.path} -> {r.status_code} {r.text[:200]}"
        )
    body = r.json() if r.content else {}
    return body if isinstance(body, dict) else {"items": body}


def _until(step: str, timeout: float, probe: Callable[[], JSON | None]) -> JSON:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        time.sleep(0.25)
    raise JourneyFailed(step, f"not reached within {timeout:.0f} s")


class Journey:
    def __init__(self, probe: Probe, http: httpx.Client) -> None:
        self.probe, self.http = probe, http
        self.steps: list[str] = []
        self.tenant: JSON = {}
        self.subscription_id = ""
        self._t0 = time.perf_counter()

    def mark(self, text: str) -> None:
        self.steps.append(f"{time.perf_counter() - self._t0:.1f}s {text}")

    def tenant_state(self) -> JSON:
        return _ok(self.http.get(f"/admin/api/tenants/{self.tenant['id']}"), "poll")

    def run(self) -> None:
        suffix = uuid.uuid4().hex[:8]
        plan = self.probe.runtime.product.plans[0].key
        body = {
            "email": f"preflight+{suffix}@example.com",
            "name": f"Preflight {suffix}",
            "phone": "+44 7911 123456",
            "plan": plan,
        }
        self.tenant = _ok(self.http.post("/admin/api/tenants", json=body), "sign up", 201)
        tid = self.tenant["id"]
        self.mark(f"signed up {tid} on {plan}")
        checkout = _ok(
            self.http.post(f"/admin/api/tenants/{tid}/checkout", json={"plan": plan}), "checkout"
        )
        url = str(checkout["url"])
        if SANDBOX_PAY not in url:
            raise JourneyFailed("pay", f"the checkout is at {url}, not a sandbox: cannot pay")
        _ok(self.http.post(url, data={"phone": "+447911123456"}), "pay", 303, 200)
        self.mark(f"paid {checkout['session_id']} in the sandbox")
        active = _until(
            "activate",
            30,
            lambda: t if (t := self.tenant_state())["payment_status"] == "active" else None,
        )
        self.subscription_id = str(active["stripe_subscription_id"])
        self.mark(f"activated ({active['billing_status']}, {self.subscription_id})")
        run = _until("provision", 60, lambda: self._run(tid, "provision", "complete"))
        self.mark(f"provisioned (run {run['id']} {run['state']})")
        token = _ok(self.http.post(f"/admin/api/tenants/{tid}/token"), "token", 201)["token"]
        cancel = self.http.post(
            "/api/v1/subscription/cancel", headers={"Authorization": f"Bearer {token}"}
        )
        self.mark(f"canceled: {_ok(cancel, 'cancel').get('mode', '?')}")
        self._end_subscription()
        _until(
            "inactive",
            30,
            lambda: t if (t := self.tenant_state())["payment_status"] != "active" else None,
        )
        self.mark("subscription ended; payment inactive")
        dep = _ok(self.http.post(f"/admin/api/tenants/{tid}/deprovision"), "deprovision", 202)
        _until("deprovision", 60, lambda: self._run(tid, "deprovision", "complete"))
        self.mark(f"deprovisioned (run {dep['id']})")
        self._delete()

    def _run(self, tid: str, kind: str, state: str) -> JSON | None:
        page = _ok(self.http.get("/admin/api/provisioning", params={"tenant": tid}), "runs")
        for run in page.get("items", []):
            if run["kind"] == kind and run["state"] == "failed":
                raise JourneyFailed(kind, f"run {run['id']} failed: {run['reason']}")
            if run["kind"] == kind and run["state"] == state:
                return dict(run)
        return None

    def _end_subscription(self) -> None:
        """What Stripe does at the period's end, now: only the sandbox lets us move time."""
        client = stripe.StripeClient(
            self.probe.runtime.settings.stripe_api_key,
            base_addresses={"api": self.probe.target.rstrip("/") + "/sandbox/stripe"},
        )
        client.v1.subscriptions.cancel(self.subscription_id)

    def _delete(self) -> None:
        tid, name = self.tenant["id"], self.tenant["name"]
        _ok(
            self.http.request("DELETE", f"/admin/api/tenants/{tid}", params={"confirm": name}),
            "delete",
        )
        gone = self.http.get(f"/admin/api/tenants/{tid}").status_code
        if gone != 404:
            raise JourneyFailed("delete", f"GET after delete answered {gone}")
        self.mark("hard-deleted (GET answers 404)")
        self.tenant = {}

    def clean_up(self) -> str:
        if not self.tenant:
            return ""
        try:
            if self.subscription_id:
                self._end_subscription()
            self.http.post(f"/admin/api/tenants/{self.tenant['id']}/deprovision")
            self._delete()
            return "cleaned up"
        except Exception as exc:
            return f"left tenant {self.tenant['id']} behind ({exc})"


def journey(probe: Probe) -> Finding:
    if probe.environment == "production":
        # A live checkout needs a real card: no tenant, no session is made where none can pay.
        return Finding(
            False,
            "not run in production: no sandbox takes the payment",
            "run it against staging: --environment development --target https://staging…",
        )
    with probe.http() as http:
        trip = Journey(probe, http)
        try:
            trip.run()
        except Exception as exc:
            step = exc.step if isinstance(exc, JourneyFailed) else type(exc).__name__
            left = trip.clean_up()
            return Finding(
                False,
                "; ".join([*trip.steps, f"FAILED {exc}", left]).strip("; "),
                f"the customer journey breaks at '{step}': see the evidence",
            )
    return Finding(True, "; ".join(trip.steps))


CHECKS = (
    Check(
        "journey.purchase",
        "purchase-flow smoke test: sign up, pay, provision, cancel, delete",
        journey,
        required_in=("development",),
        remote=True,
        timeout=240,
    ),
)
