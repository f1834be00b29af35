"""Reconciliation against the call provider's own records.

A run pages through the provider's calls for a window, oldest first. Each page is one step: it
fetches the page at the run's stored cursor, then, in ONE transaction, bills every call that no
usage record knows (idempotency key = the call id, so whatever the number of runs a missed call
is debited once), adds the page's counts to the run and moves its cursor. A crash before that
commit re-fetches the same page; after it, the next step starts from the moved cursor, so no
page is counted twice. The finished report (calls seen, already billed, newly billed, amount
recovered, unpriced) is the run row; a gap publishes ``reconciliation.gap``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session

from steward.runtime import Runtime
from steward.tenants import repository as tenants_repo
from steward.wallets import meters, monitoring, usage
from steward.wallets import reconcile_repository as repo
from steward.wallets import repository as wallets_repo
from steward.wallets.models import RunStatus, UsageStatus
from steward.wallets.report import Report

log = structlog.get_logger("steward.wallets.reconcile")
GAP = "reconciliation.gap"
SAMPLE = 20


def process_page(runtime: Runtime, run_id: str) -> bool:
    """Reconcile the page at the run's cursor; True when the window is exhausted."""
    with runtime.db.read() as session:
        run = repo.get(session, run_id)
        if run.status is not RunStatus.RUNNING or run.cursor == "":
            return True
        cursor, start, end = run.cursor, run.window_from, run.window_to
    page = runtime.vapi.list_calls(
        start, end, limit=runtime.settings.reconcile_page_size, cursor=cursor
    )
    with runtime.db.transaction() as session:
        run = repo.get(session, run_id, for_update=True)
        if run.cursor != cursor:
            return False  # this page was committed before a crash; carry on from the new cursor
        add, sample = _match(runtime, session, page.calls), json.loads(run.unpriced_sample)
        sample.extend(add.pop("sample")[: SAMPLE - len(sample)])
        repo.advance(
            session,
            run_id,
            cursor=page.next_cursor or "",
            total=page.total,
            add=add,
            sample=json.dumps(sample),
        )
    return page.next_cursor is None


def _match(runtime: Runtime, session: Session, calls: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, Any] = dict.fromkeys(repo.COUNTERS, 0)
    counts["calls_seen"] = len(calls)
    unpriced: list[dict[str, str]] = []
    by_meter: dict[str, list[tuple[dict[str, Any], Any]]] = {}
    for call in calls:
        meta = call.get("metadata") or {}
        meter = meters.call_meter(runtime.product, meta.get("meter"))
        reason = None
        if call.get("status") != "ended" or not isinstance(call.get("durationSeconds"), int):
            reason = "not ended or no duration"
        elif not meta.get("tenant_id"):
            reason = "no tenant_id in metadata"
        elif meter is None:
            reason = "no meter prices calls"
        if reason:
            unpriced.append({"id": str(call.get("id")), "reason": reason})
            continue
        assert meter is not None
        by_meter.setdefault(meter.key, []).append((call, meter))
    for key, items in by_meter.items():
        billed = wallets_repo.billed_external_ids(session, key, [c["id"] for c, _ in items])
        for call, meter in items:
            if call["id"] in billed:
                counts["already_billed"] += 1
                continue
            tenant_id = call["metadata"]["tenant_id"]
            if tenants_repo.find(session, tenant_id) is None:
                unpriced.append({"id": call["id"], "reason": f"unknown tenant {tenant_id}"})
                continue
            result = usage.record(
                runtime,
                session,
                tenant_id=tenant_id,
                meter=meter,
                external_id=call["id"],
                quantity=call["durationSeconds"],
                source="reconciliation",
                occurred_at=_when(call.get("endedAt")),
            )
            if result.duplicate:
                counts["already_billed"] += 1
                continue
            counts["newly_billed"] += 1
            if result.status is UsageStatus.UNPAID:
                counts["unpaid"] += 1
            else:
                counts["amount_recovered"] += result.amount
    counts["unpriced"] = len(unpriced)
    counts["sample"] = unpriced
    return counts


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def finish(runtime: Runtime, run_id: str, error: str | None = None) -> Report:
    with runtime.db.transaction() as session:
        run = repo.get(session, run_id, for_update=True)
        if run.status is RunStatus.RUNNING:
            target = RunStatus.FAILED if error else RunStatus.COMPLETED
            repo.finish(session, run_id, target, runtime.clock.now(), error)
            session.refresh(run)
            report = Report.of(run)
            if report.newly_billed or report.unpriced:
                runtime.bus.publish(
                    session,
                    GAP,
                    data={
                        **report.__dict__,
                        "provider": run.provider,
                        "window_from": run.window_from,
                        "window_to": run.window_to,
                    },
                )
        report = Report.of(run)
    monitoring.observe_run(report)
    log.info("reconciliation.finished", **report.__dict__)
    return report
