"""Onboarding's alert rule: a customer stuck in a state longer than its declared dwell time.

One alert per (tenant, state): moving on resolves it (the condition no longer matches), and
``reset-stuck`` closes it and restarts the state's clock, so the next sweep does not re-alert."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from steward.alerts import queries
from steward.alerts.rules import Rule, Severity
from steward.flows import Flow
from steward.onboarding import repository as repo

STUCK = "onboarding_stuck"


def resource(tenant_id: str, state: str) -> str:
    return f"onboarding:{tenant_id}:{state}"


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def stuck_rule(
    flow: Flow, *, channels: tuple[str, ...] = (), severity: Severity = Severity.WARNING
) -> Rule:
    limits = {s.key: s.max_dwell for s in flow.states if s.max_dwell is not None and not s.final}

    def stuck(session: Session, now: datetime, rule: Rule) -> list[queries.Match]:
        return [
            queries.Match(
                resource(c.tenant_id, c.state),
                f"stuck at {c.state} for {_age(now - c.clock_at)}",
                c.tenant_id,
                c.clock_at,
            )
            for c in repo.dwelling(session, now, limits)
        ]

    return Rule(
        STUCK,
        "Customer stuck in onboarding",
        severity=severity,
        threshold=timedelta(0),  # each state declares its own dwell time
        renotify=timedelta(hours=12),
        query=stuck,
        resets=("stuck",),
        channels=channels,
        description="an onboarding customer stayed in a state longer than its dwell time",
    )
