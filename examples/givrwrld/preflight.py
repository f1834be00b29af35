"""GivrWrld's launch list (seed 001, "Pre-Launch Checklist" and its unticked boxes) as checks.

    STEWARD_PRODUCT=examples.givrwrld.preflight:product steward preflight

The purchase-flow smoke test the seed wrote and never ran is ``journey.purchase``: sign up, pay,
provision, cancel, deprovision, delete, over HTTP. GivrWrld's own item: the customer-facing API
refuses a caller without a valid token (the seed's "validate dashboard with the JWT
requirement")."""

from __future__ import annotations

import dataclasses

from examples.givrwrld.product import product as base
from steward.checks import Check, Finding, Probe

FORGED = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZW5fZm9yZ2VkIn0.c2lnbmF0dXJl"


def tenant_api_needs_a_token(probe: Probe) -> Finding:
    with probe.http() as http:
        bare = http.get("/api/v1/me", headers={"Authorization": ""}).status_code
        forged = http.get("/api/v1/me", headers={"Authorization": f"Bearer {FORGED}"}).status_code
    evidence = f"GET /api/v1/me without a token -> {bare}, with a forged token -> {forged}"
    if bare in (401, 403) and forged in (401, 403):
        return Finding(True, evidence)
    return Finding(False, evidence, "the tenant API must refuse callers without a valid token")


CHECKS = (
    Check(
        "givrwrld.tenant_api_token",
        "Validate dashboard with new JWT requirement",
        tenant_api_needs_a_token,
        remote=True,
    ),
)

product = dataclasses.replace(base, preflight=CHECKS)

COVERS: tuple[tuple[str, str], ...] = (
    ("Validate dashboard (works with the JWT requirement)", "givrwrld.tenant_api_token"),
    ("Run smoke test (purchase-flow.mjs)", "journey.purchase"),
    (
        "Capture logs",
        "the preflight report (--json / --html) is the captured evidence; "
        "log retention itself: manual (the host)",
    ),
    ("CI/CD integration of the smoke test", ".ci/run runs steward preflight against a server"),
    ("Set up log drains for alerts (Discord/Slack)", "alerts.channels (with --notify: a test)"),
    ("Redeploy function", "http.webhooks, journey.purchase (the deployment answers)"),
    ("Configure alert conditions", "engine.schedules (the alert sweep runs)"),
    ("Document runbooks", "manual: documents"),
)
