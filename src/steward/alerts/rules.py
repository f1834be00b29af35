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

from collections.abc import Iterable
from datetime import timedelta

from steward.alerts import queries
from steward.alerts.rule import Finding, Rule, Severity

__all__ = ["DEFAULT_RULES", "Finding", "Rule", "Severity", "resolve_rules"]


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
