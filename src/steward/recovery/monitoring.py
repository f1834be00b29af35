"""Recovery's Prometheus metrics: the reminder tick (runs, outcome, duration), sends, provider
calls per endpoint (the error rate an alert watches), breakers and user-token refusals."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

TICKS = Counter(
    "steward_recovery_ticks_total", "Reminder ticks by outcome (ok, failed)", ["outcome"]
)
TICK_SECONDS = Histogram("steward_recovery_tick_seconds", "Duration of one reminder tick")
REMINDERS = Counter(
    "steward_recovery_reminders_total", "Reminders by outcome (sent, retry, failed)", ["outcome"]
)
NUDGES = Counter(
    "steward_recovery_nudges_total", "Nudges sent by channel, manual or not", ["channel", "manual"]
)
PROVIDER_CALLS = Counter(
    "steward_recovery_provider_calls_total",
    "Provider calls made by recovery, by endpoint and outcome (ok, error)",
    ["endpoint", "outcome"],
)
PROVIDER_SECONDS = Histogram(
    "steward_recovery_provider_seconds", "Provider call latency by endpoint", ["endpoint"]
)
BREAKER = Counter(
    "steward_recovery_breaker_total", "Breaker changes by company state (opened, closed)", ["to"]
)
TOKEN_FAILURES = Counter(
    "steward_whop_user_token_failures_total", "Refused x-whop-user-token by code", ["code"]
)
