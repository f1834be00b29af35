"""A reconciliation run's report: what the run found, read from its row. Its own module so that
the run (``steward.wallets.reconcile``) and the metrics it feeds (``steward.wallets.monitoring``)
both import it and neither imports the other's."""

from __future__ import annotations

from dataclasses import dataclass

from steward.wallets.models import ReconciliationRun


@dataclass(frozen=True)
class Report:
    run_id: str
    status: str
    calls_seen: int
    already_billed: int
    newly_billed: int
    unpaid: int
    amount_recovered: int
    unpriced: int
    pages: int
    total: int | None
    error: str | None

    @classmethod
    def of(cls, run: ReconciliationRun) -> Report:
        return cls(
            run.id,
            run.status.value,
            run.calls_seen,
            run.already_billed,
            run.newly_billed,
            run.unpaid,
            run.amount_recovered,
            run.unpriced,
            run.pages,
            run.total,
            run.error,
        )

    @property
    def gap_rate(self) -> float:
        return self.newly_billed / self.calls_seen if self.calls_seen else 0.0
