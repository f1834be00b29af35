"""Voxanne's "Manual Testing Required" (seed 003, P0-1) and its success criteria as checks.

    STEWARD_PRODUCT=examples.voxanne.preflight:product steward preflight

Voxanne's own items: a signed test Stripe webhook answered 200 quickly and then applied in the
background (not in the request), and the retry policy dead-letters after the attempts it says."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
import uuid

from examples.voxanne.product import product as base
from steward.checks import Check, Finding, Probe

FAST_MS = 100.0  # the seed's "immediate 200 response (<100ms)"
DONE = ("processed", "ignored")


def _signed(secret: str, body: str) -> str:
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def test_webhook(probe: Probe) -> Finding:
    event_id = f"evt_preflight_{uuid.uuid4().hex[:16]}"
    # A type no handler applies: stored and marked ignored, changing nothing of any tenant.
    body = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "preflight.test",
            "created": int(time.time()),
            "data": {"object": {}},
        }
    )
    secret = probe.runtime.settings.webhook_secrets[0]
    headers = {"Stripe-Signature": _signed(secret, body), "Content-Type": "application/json"}
    with probe.http() as http:
        started = time.perf_counter()
        r = http.post("/webhooks/stripe", content=body, headers=headers)
        ms = (time.perf_counter() - started) * 1000
        status = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and status not in DONE:
            page = http.get("/admin/api/events", params={"limit": 50}).json()
            status = next(
                (e["status"] for e in page["items"] if e["external_id"] == event_id), None
            )
            time.sleep(0.2)
    evidence = f"signed {event_id}: {r.status_code} in {ms:.0f} ms; then {status or 'not seen'}"
    if r.status_code != 200:
        return Finding(False, evidence, "the webhook secret here must be one the server accepts")
    if status not in DONE:
        return Finding(False, evidence, "the inbox workers are not applying events: check them")
    if ms > FAST_MS:
        return Finding(False, evidence, f"answer within {FAST_MS:.0f} ms: check the host's latency")
    return Finding(True, evidence)


def retry_policy(probe: Probe) -> Finding:
    s = probe.runtime.settings
    evidence = (
        f"STEWARD_MAX_ATTEMPTS={s.max_attempts}, backoff {s.retry_base_seconds:g} s doubling to "
        f"{s.retry_max_seconds:g} s, then dead-lettered"
    )
    if not 3 <= s.max_attempts <= 10:
        return Finding(False, evidence, "set STEWARD_MAX_ATTEMPTS between 3 and 10")
    return Finding(True, evidence)


CHECKS = (
    Check(
        "voxanne.test_webhook",
        "Send test Stripe webhook; immediate 200; async processing",
        test_webhook,
        remote=True,
    ),
    Check(
        "voxanne.retry_policy",
        "Test retry on failure; dead letter queue after 3 failures",
        retry_policy,
    ),
)

product = dataclasses.replace(base, preflight=CHECKS)

COVERS: tuple[tuple[str, str], ...] = (
    ("Send test Stripe webhook", "voxanne.test_webhook"),
    ("Verify immediate 200 response (<100ms)", "voxanne.test_webhook (timed)"),
    (
        "Verify async processing in logs",
        "voxanne.test_webhook (applied after the 200), inbox.backlog",
    ),
    (
        "Test retry on failure",
        "voxanne.retry_policy (the policy); the behaviour: tests/e2e/test_webhook_inbox.py",
    ),
    (
        "Verify dead letter queue after 3 failures",
        "voxanne.retry_policy, inbox.backlog (dead letters: none)",
    ),
    (
        "24-hour uptime without crashes",
        "manual: needs 24 hours; engine.workers shows who is alive now",
    ),
    ("Zero critical errors in logs", "manual: the log drain; alerts.channels reaches the operator"),
    ("All webhook queue jobs processed successfully", "inbox.backlog"),
    ("Queue health stable (no stalled jobs)", "inbox.backlog, engine.workers, engine.schedules"),
    ("Backend memory usage stable (<500MB)", "manual: the host's metrics"),
    ("No Slack alerts (or all resolved quickly)", "alerts.channels; open alerts: the cockpit"),
)
