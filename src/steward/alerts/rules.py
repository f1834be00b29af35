"""Alert rules, declared in code.

A *sweep* rule has a ``query`` run by the schedule: it returns what matches now (its cost follows
the matches, through an indexed predicate), and an open alert whose resource no longer matches
resolves itself. An *event* rule turns domain events (``events``) into alerts that an operator
resolves. A product overrides a default by declaring a rule with the same key
(``Product.alert_rules``), or switches it off with ``enabled=False``.

    Rule("payment_gate", "Stuck at the payment gate", threshold=timedelta(hours=2),
         query=queries.payment_gate, resets=("payment",))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from steward.alerts import queries


class Severity(StrEnum):
    INFO = "info"  # worth a look in the morning
    WARNING = "warning"  # someone is stuck or something drifted: act today
    CRITICAL = "critical"  # money or service at risk: act now

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True)
class Finding:
    """One resource matching a rule now."""

    resource_id: str
    message: str
    tenant_id: str | None = None
    severity: Severity | None = None  # None: the rule's severity


Query = Callable[[Session, datetime, "Rule"], Iterable[queries.Match]]


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


def _event(key: str, title: str, severity: Severity, *types: str) -> Rule:
    return Rule(key, title, severity=severity, events=types, renotify=timedelta(hours=12))


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "payment_gate",
        "Stuck at the payment gate",
        threshold=timedelta(hours=2),
        query=queries.payment_gate,
        resets=("payment",),
        escalate_after=timedelta(hours=22),
        description="signed up, never paid, for longer than the threshold",
    ),
    Rule(
        "dead_letter",
        "Event dead-lettered",
        threshold=timedelta(0),
        query=queries.dead_letters,
        description="an inbound event exhausted its retries; replay it once fixed",
    ),
    Rule(
        "backlog_age",
        "Inbox backlog is old",
        severity=Severity.CRITICAL,
        threshold=timedelta(minutes=10),
        renotify=timedelta(hours=1),
        query=queries.backlog_age,
        description="the oldest unprocessed event is older than the threshold",
    ),
    _event("refund", "Charge refunded", Severity.WARNING, "charge.refunded"),
    _event("dispute", "Charge disputed", Severity.CRITICAL, "charge.dispute.created"),
    _event("drift", "Subscription drift corrected", Severity.WARNING, "subscription.drift"),
    _event("reconciliation_gap", "Reconciliation gap", Severity.WARNING, "reconciliation.gap"),
    _event("provisioning_failed", "Provisioning failed", Severity.CRITICAL, "provisioning.failed"),
    _event("pool_low", "Pool under its watermark", Severity.CRITICAL, "pool.low"),
    _event("pool_empty", "Pool empty: a new client waits", Severity.CRITICAL, "pool.empty"),
    _event("sms_not_sent", "A text could not be sent", Severity.WARNING, "message.send_failed"),
    _event("debit_refused", "Wallet debit refused", Severity.WARNING, "wallet.debit_refused"),
    _event(
        "recovery_breaker",
        "Recovery provider failing",
        Severity.CRITICAL,
        "recovery.breaker_opened",
    ),
    _event(
        "billing_success_low",
        "Billing success rate low",
        Severity.CRITICAL,
        "billing.success_rate_low",
    ),
)


def resolve_rules(declared: Iterable[Rule]) -> dict[str, Rule]:
    """The defaults, overridden or extended by the product's rules; disabled ones dropped."""
    rules = {r.key: r for r in DEFAULT_RULES}
    for rule in declared:
        rules[rule.key] = rule
    return {k: r for k, r in rules.items() if r.enabled}
