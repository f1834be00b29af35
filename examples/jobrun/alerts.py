"""JobRun's alerts, delete checks and resets (its StuckClientDetector and cockpit v1).

- the payment gate: a client who has not paid 2 hours after reaching S5_CONFIRM_LIVE (its clock
  starts when the link is texted, not at signup) alerts the founder by SMS
  (``JOBRUN_FOUNDER_SMS_URL``, an apprise URL such as ``twilio://SID:TOKEN@+447700900000/+447...``)
  beside the shared ``STEWARD_ALERT_URLS``; a payment clears it, ``reset-payment-alert`` ends its
  suppression so a later failure alerts again;
- a client stuck in any other onboarding state beyond its dwell time ("stuck at S3 for 2 h")
  alerts once, resolves when the client moves on; ``reset-stuck`` closes it and restarts the
  state's clock;
- a lapsed client (paid once, inactive for a day) is "stuck"; ``reset-stuck`` closes it;
- the hard delete needs onboarding incomplete (never went live), alerts muted and payment
  inactive, plus the business name typed as confirmation.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.alerts import queries
from steward.alerts.rules import Rule, Severity
from steward.cockpit.delete import ALERTS_MUTED, PAYMENT_INACTIVE, DeleteCheck
from steward.flows import Flow
from steward.onboarding import repository as onboarding
from steward.onboarding.alerts import stuck_rule
from steward.tenants.models import PaymentStatus, Tenant

FOUNDER_SMS = tuple(u for u in [os.environ.get("JOBRUN_FOUNDER_SMS_URL", "")] if u)
GATE = "S5_CONFIRM_LIVE"


def payment_gate(session: Session, now: datetime, rule: Rule) -> list[queries.Match]:
    return [
        queries.Match(
            f"tenant:{c.tenant_id}",
            f"{name} reached {GATE} {queries._age(now - c.clock_at)} ago and has not paid",
            c.tenant_id,
            c.clock_at,
        )
        for c, name in onboarding.waiting_in(session, GATE, now - rule.threshold)
    ]


def lapsed(session: Session, now: datetime, rule: Rule) -> list[queries.Match]:
    rows = session.execute(
        sa.select(Tenant.id, Tenant.name, Tenant.updated_at)
        .where(
            Tenant.payment_status == PaymentStatus.INACTIVE,
            Tenant.updated_at < now - rule.threshold,
        )
        .limit(queries.LIMIT)
    ).all()
    return [
        queries.Match(f"tenant:{tid}", f"{name} stopped paying and has not come back", tid, at)
        for tid, name, at in rows
    ]


def rules(flow: Flow) -> list[Rule]:
    return [*RULES, stuck_rule(flow, channels=FOUNDER_SMS)]


RULES = [
    Rule(
        "payment_gate",
        "Client stuck at the payment gate",
        severity=Severity.WARNING,
        threshold=timedelta(hours=2),
        renotify=timedelta(hours=12),
        query=payment_gate,
        resets=("payment",),
        channels=FOUNDER_SMS,
        description="StuckClientDetector: at S5 without payment for 2 hours",
    ),
    Rule(
        "client_stuck",
        "Client lapsed",
        threshold=timedelta(hours=24),
        renotify=timedelta(days=2),
        query=lapsed,
        resets=("stuck",),
        channels=FOUNDER_SMS,
    ),
]

ONBOARDING_INCOMPLETE = DeleteCheck(
    "onboarding_incomplete",
    "the client completed onboarding and went live; JobRun only deletes unfinished signups",
    lambda c: c.tenant.activated_at is None,
)
DELETE_CHECKS = [ONBOARDING_INCOMPLETE, ALERTS_MUTED, PAYMENT_INACTIVE]
