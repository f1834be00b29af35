"""JobRun's pre-launch checklist (seed 000, "PRE-LAUNCH CHECKLIST") as preflight checks.

    STEWARD_PRODUCT=examples.jobrun.preflight:product steward preflight

``COVERS`` maps each of the checklist's 29 boxes to the check that ticks it, or says why no
program can (docs/launch.md prints it). Two items are JobRun's own: the number pool is seeded
and above its watermark, and an SMS channel reaches the founder."""

from __future__ import annotations

import dataclasses

from examples.jobrun.product import product as base
from steward.alerts import channels
from steward.checks import Check, Finding, Probe

POOL = "numbers"
SMS_SCHEMES = ("twilio://", "sns://", "vonage://", "nexmo://", "messagebird://", "clicksend://")


def number_pool(probe: Probe) -> Finding:
    with probe.http() as http:
        r = http.get("/admin/api/pools")
    r.raise_for_status()
    pools = {p["pool"]: p for p in r.json()}
    pool = pools.get(POOL)
    if pool is None:
        return Finding(
            False,
            f"no '{POOL}' pool at {probe.target} (pools: {', '.join(pools) or '-'})",
            "steward pool add numbers --file numbers.txt --low-watermark 5",
        )
    evidence = (
        f"{POOL}: {pool['free']} free of {pool['total']}, low watermark {pool['low_watermark']}"
    )
    if pool["free"] <= pool["low_watermark"]:
        return Finding(False, evidence, "add Twilio numbers: steward pool add numbers --file …")
    return Finding(True, evidence)


def founder_sms(probe: Probe) -> Finding:
    urls = channels.parse_urls(probe.runtime.settings.alert_urls)
    sms = [channels.mask(u) for u in urls if u.startswith(SMS_SCHEMES)]
    if not sms:
        return Finding(
            False,
            f"{len(urls)} alert channel(s), none SMS",
            "add the founder's phone: STEWARD_ALERT_URLS=twilio://SID:TOKEN@FROM/TO",
        )
    return Finding(True, "SMS to the founder: " + ", ".join(sms))


CHECKS = (
    Check("jobrun.number_pool", "Seed Twilio number pool", number_pool, remote=True),
    Check(
        "jobrun.founder_sms",
        "Verify founder phone number for ops alerts",
        founder_sms,
        required_in=("production",),
    ),
)

product = dataclasses.replace(base, preflight=CHECKS)

NOT_AUTOMATABLE = "manual"
COVERS: tuple[tuple[str, str], ...] = (
    ("Add STRIPE_SECRET_KEY=sk_live_... to production .env", "stripe.key_mode, config.secrets"),
    ("Add STRIPE_WEBHOOK_SECRET=whsec_... to production .env", "config.secrets"),
    (
        "Add STRIPE_CHECKOUT_URL=https://buy.stripe.com/... (live payment link)",
        "not needed: Steward opens a Checkout Session per tenant (stripe.prices checks the plan)",
    ),
    (
        "Verify all Twilio credentials configured",
        "jobrun.number_pool (the pool is what we hold); "
        "Twilio credentials themselves: manual until a Twilio check exists",
    ),
    ("Verify founder phone number for ops alerts", "jobrun.founder_sms, alerts.channels --notify"),
    ("Verify database connection string", "db.reachable"),
    ("Verify OpenAI API key configured", "manual: JobRun's AI calls are outside Steward"),
    ("Create live product: JobRun Subscription (£49/month, 7-day trial)", "stripe.prices"),
    (
        "Create live payment link with metadata phone_number",
        "not needed: the checkout carries tenant_id and plan metadata (journey.purchase)",
    ),
    (
        "Add webhook endpoint: https://your-domain.com/api/webhooks/stripe",
        "stripe.webhook_endpoint",
    ),
    (
        "Subscribe to event: checkout.session.completed",
        "stripe.webhook_endpoint (every type a handler applies, not just one)",
    ),
    ("Copy webhook signing secret to .env", "config.secrets, http.webhooks"),
    (
        "Test live payment with real card (can refund immediately)",
        "manual in production (a real card); journey.purchase pays in the sandbox",
    ),
    ("Run all migrations", "db.migrations"),
    ("Seed Twilio number pool", "jobrun.number_pool"),
    ("Verify schema alignment", "db.models"),
    ("Backup database before launch", "manual: the database host's backups"),
    ("Test ops alerting (send test SMS to founder)", "alerts.channels with --notify"),
    ("Verify StuckClientDetector running (check logs)", "engine.schedules, engine.workers"),
    ("Test admin endpoints (GET /api/admin/alerts)", "journey.purchase (admin API end to end)"),
    ("Document founder emergency procedures", "manual: a document"),
    ("Set up monitoring/logging aggregation", "manual: the host's log drain"),
    ("Send test missed call", "manual: Twilio voice is outside Steward"),
    ("Complete onboarding flow (S1 → S5)", "manual: JobRun's SMS onboarding"),
    ("Complete Stripe checkout", "journey.purchase"),
    ("Verify client activation in database", "journey.purchase"),
    ("Verify trial dates set correctly", "journey.purchase (billing trialing), stripe.prices"),
    ("Complete test call (S9)", "manual: Twilio voice is outside Steward"),
    ("Verify full system operational", "the whole preflight: GO"),
)
