"""Durable work of the wallets domain: one recharge per threshold crossing, reconciliation runs
(one step per page), the daily reconciliation and the billing monitor."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS, SetWorkflowID

from steward.errors import InvalidInput
from steward.events import repository as events_repo
from steward.kit.ids import new_id
from steward.module import Schedule
from steward.runtime import Runtime, current
from steward.wallets import monitoring, recharge, reconcile
from steward.wallets import recharge_repository as recharges
from steward.wallets import reconcile_repository as runs
from steward.wallets import repository as wallets_repo
from steward.wallets.models import RechargeStatus


# -- auto-recharge --------------------------------------------------------------------------------
@DBOS.workflow(name=recharge.WORKFLOW)
def recharge_workflow(domain_event_id: int) -> str:
    return charge_step(recharge_id_step(domain_event_id))


@DBOS.step(name="steward.wallets.recharge_id")
def recharge_id_step(domain_event_id: int) -> int:
    with current().db.read() as session:
        return int(json.loads(events_repo.get(session, domain_event_id).data)["recharge_id"])


@DBOS.step(
    name="steward.wallets.recharge_charge",
    retries_allowed=True,
    max_attempts=5,
    interval_seconds=1.0,
    backoff_rate=2.0,
)
def charge_step(recharge_id: int) -> str:
    """Charge once: the attempt's idempotency key makes a re-run of this step a replay."""
    runtime = current()
    with runtime.db.transaction() as session:
        attempt = recharges.get(session, recharge_id)
        if attempt.status is not RechargeStatus.PENDING:
            return attempt.status.value
        if not runtime.flags.enabled("auto_recharge"):
            recharge.skipped(runtime, session, recharge_id, "kill switch auto_recharge is off")
            return RechargeStatus.SKIPPED.value
        wallet = wallets_repo.get_wallet(session, attempt.wallet_id)
        if not wallet.stripe_customer_id or not wallet.stripe_payment_method:
            recharge.skipped(runtime, session, recharge_id, "no saved card")
            return RechargeStatus.SKIPPED.value
        customer, method, currency = (
            wallet.stripe_customer_id,
            wallet.stripe_payment_method,
            wallet.currency,
        )
        amount, key, wallet_id = attempt.amount, attempt.idempotency_key, wallet.id
    monitoring.CHARGES.labels(outcome="attempted").inc()
    result = runtime.stripe.charge_saved_card(
        amount=amount,
        currency=currency,
        customer_id=customer,
        payment_method=method,
        metadata={"wallet_id": wallet_id, "recharge_id": str(recharge_id)},
        idempotency_key=key,
    )
    with runtime.db.transaction() as session:
        if result["declined"]:
            monitoring.CHARGES.labels(outcome="declined").inc()
            recharge.declined(runtime, session, recharge_id, f"declined: {result['message']}")
            return RechargeStatus.DECLINED.value
        monitoring.CHARGES.labels(outcome="succeeded").inc()
        recharge.mark_charging(runtime, session, recharge_id, result["id"])
    return RechargeStatus.CHARGING.value


# -- reconciliation -------------------------------------------------------------------------------
RECONCILE = "steward.wallets.reconcile"


@DBOS.workflow(name=RECONCILE)
def reconcile_workflow(run_id: str) -> dict[str, Any]:
    try:
        while not page_step(run_id):
            pass
    except Exception as exc:  # the provider kept failing past the step's retries
        errors = getattr(exc, "errors", None) or [exc]
        last = errors[-1]
        return finish_step(run_id, f"{type(exc).__name__}: {exc}; last: {last}")
    return finish_step(run_id, None)


@DBOS.step(
    name="steward.wallets.reconcile_page",
    retries_allowed=True,
    max_attempts=4,
    interval_seconds=0.2,
    backoff_rate=2.0,
)
def page_step(run_id: str) -> bool:
    return reconcile.process_page(current(), run_id)


@DBOS.step(name="steward.wallets.reconcile_finish")
def finish_step(run_id: str, error: str | None) -> dict[str, Any]:
    return dict(reconcile.finish(current(), run_id, error).__dict__)


def open_run(
    runtime: Runtime, provider: str, start: datetime, end: datetime, run_id: str | None = None
) -> str:
    if provider != "vapi":
        raise InvalidInput(
            f"provider: unknown provider {provider!r}; known: vapi", field="provider"
        )
    if end <= start:
        raise InvalidInput("to: must be after from", field="to")
    run_id = run_id or new_id("rec")
    with runtime.db.transaction() as session:
        runs.open_run(session, run_id, provider, start, end, runtime.clock.now())
    return run_id


def start_run(runtime: Runtime, run_id: str) -> Any:
    """Start (or re-attach to) the run's workflow; the workflow id is the run id."""
    with SetWorkflowID(run_id):
        return DBOS.start_workflow(reconcile_workflow, run_id)


@DBOS.workflow(name="steward.wallets.reconcile_daily")
def reconcile_daily(scheduled_at: datetime, _context: Any) -> None:
    end = scheduled_at.replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=1)
    run_id = daily_open_step(start, end)
    with SetWorkflowID(run_id):
        reconcile_workflow(run_id)


@DBOS.step(name="steward.wallets.reconcile_daily_open")
def daily_open_step(start: datetime, end: datetime) -> str:
    return open_run(current(), "vapi", start, end, f"rec_vapi_{start:%Y%m%d}")


# -- monitoring -----------------------------------------------------------------------------------
@DBOS.workflow(name="steward.wallets.billing_monitor")
def billing_monitor(scheduled_at: datetime, _context: Any) -> None:
    billing_monitor_step()


@DBOS.step(name="steward.wallets.billing_monitor_step")
def billing_monitor_step() -> None:
    monitoring.check(current())


SCHEDULES = (
    Schedule("steward.wallets.reconcile_daily", reconcile_daily, lambda s: s.reconcile_cron),
    Schedule("steward.wallets.billing_monitor", billing_monitor, lambda s: s.billing_monitor_cron),
)
