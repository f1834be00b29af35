"""Syston's go/no-go list (seed 004: the readiness checklist and the day-1 success criteria) as
checks.

    STEWARD_PRODUCT=examples.syston.preflight:product steward preflight

Syston's own items, read over the admin API: the provisioning success rate (>95 %), the P95
provisioning time of the recent complete runs (<2 s), and dry-run mode off in production."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from examples.syston.product import product as base
from steward.checks import Check, Finding, Probe

SUCCESS_MIN = 0.95
P95_MAX_SECONDS = 2.0


def _total(probe: Probe, **params: str) -> int:
    with probe.http() as http:
        r = http.get("/admin/api/provisioning", params={"limit": "1", **params})
    r.raise_for_status()
    return int(r.json()["total"])


def success_rate(probe: Probe) -> Finding:
    total, failed = _total(probe), _total(probe, state="failed")
    if not total:
        return Finding(True, "no provisioning run yet")
    rate = 1 - failed / total
    evidence = f"{total - failed} of {total} runs not failed ({rate:.1%}; min {SUCCESS_MIN:.0%})"
    if rate < SUCCESS_MIN:
        return Finding(False, evidence, "read the failed runs' reasons: the cockpit's provisioning")
    return Finding(True, evidence)


def p95_time(probe: Probe) -> Finding:
    with probe.http() as http:
        r = http.get("/admin/api/provisioning", params={"state": "complete", "limit": "200"})
    r.raise_for_status()
    times = sorted(
        (
            datetime.fromisoformat(i["finished_at"]) - datetime.fromisoformat(i["started_at"])
        ).total_seconds()
        for i in r.json()["items"]
        if i["started_at"] and i["finished_at"] and not i["dry_run"]
    )
    if not times:
        return Finding(True, "no complete run yet")
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    evidence = f"P95 {p95:.2f} s over the last {len(times)} complete runs (max {P95_MAX_SECONDS} s)"
    if p95 > P95_MAX_SECONDS:
        return Finding(False, evidence, "find the slow step on a run's timeline in the cockpit")
    return Finding(True, evidence)


def not_dry_run(probe: Probe) -> Finding:
    if probe.runtime.settings.provisioning_dry_run:
        return Finding(
            False,
            "STEWARD_PROVISIONING_DRY_RUN=true: steps call nothing outside",
            "unset STEWARD_PROVISIONING_DRY_RUN for the launch",
        )
    return Finding(True, "STEWARD_PROVISIONING_DRY_RUN=false")


CHECKS = (
    Check("syston.success_rate", ">95% provisioning success rate", success_rate, remote=True),
    Check("syston.p95_time", "<2s P95 provisioning time", p95_time, remote=True),
    Check(
        "syston.not_dry_run",
        "Graceful degradation (DRY_RUN mode) off for the launch",
        not_dry_run,
        required_in=("production",),
    ),
)

product = dataclasses.replace(base, preflight=CHECKS)

COVERS: tuple[tuple[str, str], ...] = (
    ("JWT secret rotation supported", "config.token_keys (several kid:secret pairs verify)"),
    ("Kill switch tested and working", "flags.expected (state); the behaviour: tests"),
    ("CORS properly configured / security headers", "manual: read from a browser; http.webhooks"),
    ("No secrets in config files (secrets set)", "config.secrets"),
    ("Webhook host validation / HMAC verification enabled", "http.webhooks (unsigned refused)"),
    ("Database indexes on tenant_id", "db.models (the models' indexes exist in the database)"),
    ("Provisioning <500ms P95 / <2s P95 provisioning time", "syston.p95_time"),
    ("Idempotency on all signup steps", "manual: a property of the steps, proven by tests"),
    ("Graceful degradation (DRY_RUN mode)", "syston.not_dry_run"),
    ("Structured logging (JSON)", "manual: STEWARD_LOG_JSON, read in the host's logs"),
    ("Provision state in database", "db.migrations, db.models"),
    ("Error alerting capability", "alerts.channels (with --notify: a test)"),
    ("Metrics endpoints ready", "http.webhooks checks /healthz; /metrics: manual"),
    ("Zero 5xx errors on signup endpoints", "journey.purchase (sign-up answered 201)"),
    (">95% provisioning success rate", "syston.success_rate"),
    ("Kill switch response time <100ms", "manual: flags are re-read every 0.5 s by design"),
    ("No memory leaks in frontend / no race conditions", "manual: observed, not checked"),
    ("100+ successful signups / 1000+ tenants provisioned", "manual: a count over time"),
    ("Provision retry mechanism tested in production", "manual: an operator retries a run"),
    ("Trial expiration emails sent", "engine.schedules (the sweeps run); content: manual"),
    ("Architecture diagrams, runbooks, emergency procedures", "manual: documents"),
)
