"""What an alert rule is: its severity, a sweep's matches and findings, and the rule itself.

Below both the sweep queries (``steward.alerts.queries``), which take the rule they run for, and
the rule catalogue (``steward.alerts.rules``), which names those queries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session


class Severity(StrEnum):
    INFO = "info"  # worth a look in the morning
    WARNING = "warning"  # someone is stuck or something drifted: act today
    CRITICAL = "critical"  # money or service at risk: act now

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True)
class Match:
    """One resource a sweep query found."""

    resource_id: str
    message: str
    tenant_id: str | None = None
    since: datetime | None = None  # when the condition started, for escalation


@dataclass(frozen=True)
class Finding:
    """One resource matching a rule now."""

    resource_id: str
    message: str
    tenant_id: str | None = None
    severity: Severity | None = None  # None: the rule's severity


Query = Callable[[Session, datetime, "Rule"], Iterable[Match]]


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    severity: Severity = Severity.WARNING
    threshold: timedelta = timedelta(hours=2)  # how long a condition holds before it alerts
    renotify: timedelta = timedelta(hours=6)  # a persisting alert is sent again after this
    query: Query | None = None  # a sweep rule
    events: tuple[str, ...] = ()  # an event rule: domain-event types
    resets: tuple[str, ...] = ()  # operator resets that close it: "payment", "stuck"
    channels: tuple[str, ...] = ()  # apprise URLs for this rule only, beside STEWARD_ALERT_URLS
    enabled: bool = True
    escalate_after: timedelta | None = None  # a sweep alert older than this becomes critical
    description: str = field(default="", compare=False)

    def findings(self, session: Session, now: datetime) -> list[Finding]:
        if self.query is None:
            return []
        found = []
        for m in self.query(session, now, self):
            severity = self.severity
            if (
                self.escalate_after is not None
                and m.since is not None
                and now - m.since >= self.threshold + self.escalate_after
            ):
                severity = Severity.CRITICAL
            found.append(Finding(m.resource_id, m.message, m.tenant_id, severity))
        return found
