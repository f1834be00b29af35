"""Billing success rate (auto-recharge charges succeeded / decided) and reconciliation gap rate
(calls billed only by reconciliation / calls seen), as Prometheus metrics and cockpit figures.
The rule ``check`` publishes ``billing.success_rate_low`` (at most once an hour) under
``STEWARD_BILLING_SUCCESS_RATE_MIN`` once at least ``MIN_SAMPLE`` charges were decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Counter, Gauge

from steward.events import repository as events_repo
from steward.runtime import Runtime
from steward.wallets import recharge_repository, reconcile_repository
from steward.wallets.report import Report

LOW = "billing.success_rate_low"
MIN_SAMPLE = 5
WINDOW = timedelta(hours=24)

CHARGES = Counter(
    "steward_wallet_charges_total",
    "Wallet charges by outcome (attempted, succeeded, declined)",
    ["outcome"],
)
SUCCESS_RATE = Gauge(
    "steward_billing_success_rate", "Charges succeeded / charges decided over the last 24 h"
)
GAP_RATE = Gauge(
    "steward_reconciliation_gap_rate", "Calls billed only by reconciliation / calls seen (last run)"
)
RECONCILED = Counter(
    "steward_reconciliation_calls_total", "Calls reconciled, by result", ["result"]
)


@dataclass(frozen=True)
class Figures:
    charges_succeeded: int
    charges_declined: int
    success_rate: float | None  # None: nothing decided in the window
    calls_seen: int
    calls_missed: int
    gap_rate: float | None


def figures(runtime: Runtime) -> Figures:
    since = runtime.clock.now() - WINDOW
    with runtime.db.read() as session:
        outcomes = recharge_repository.outcomes_since(session, since)
        seen, missed = reconcile_repository.totals_since(session, since - timedelta(days=6))
    ok, bad = outcomes.get("succeeded", 0), outcomes.get("declined", 0)
    return Figures(
        charges_succeeded=ok,
        charges_declined=bad,
        success_rate=ok / (ok + bad) if ok + bad else None,
        calls_seen=seen,
        calls_missed=missed,
        gap_rate=missed / seen if seen else None,
    )


def check(runtime: Runtime) -> Figures:
    """Refresh the gauges; publish LOW when the success rate is under the configured minimum."""
    fig = figures(runtime)
    if fig.success_rate is not None:
        SUCCESS_RATE.set(fig.success_rate)
    if fig.gap_rate is not None:
        GAP_RATE.set(fig.gap_rate)
    decided = fig.charges_succeeded + fig.charges_declined
    minimum = runtime.settings.billing_success_rate_min
    if fig.success_rate is None or decided < MIN_SAMPLE or fig.success_rate >= minimum:
        return fig
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        if not events_repo.recent(session, types=[LOW], since=now - timedelta(hours=1), limit=1):
            runtime.bus.publish(session, LOW, data={**fig.__dict__, "minimum": minimum})
    return fig


def observe_run(report: Report) -> None:
    GAP_RATE.set(report.gap_rate)
    RECONCILED.labels(result="already_billed").inc(report.already_billed)
    RECONCILED.labels(result="newly_billed").inc(report.newly_billed)
    RECONCILED.labels(result="unpriced").inc(report.unpriced)
