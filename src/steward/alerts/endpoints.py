"""Admin API over alerts, and the tenant alert actions (mute, reset)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from steward.alerts import repository as repo
from steward.alerts.models import AlertStatus
from steward.alerts.schemas import (
    AlertDetail,
    AlertOut,
    AlertPage,
    DeliveryOut,
    HistoryOut,
    MuteIn,
    MuteOut,
    ResetOut,
    SweepOut,
)
from steward.alerts.service import AlertLog
from steward.api.deps import Actor, RuntimeDep
from steward.tenants import repository as tenants_repo

admin = APIRouter(prefix="/admin/api/alerts", tags=["admin: alerts"])
tenant_actions = APIRouter(prefix="/admin/api/tenants", tags=["admin: alerts"])


@admin.get("", response_model=AlertPage)
def list_alerts(
    runtime: RuntimeDep,
    _actor: Actor,
    alert_type: str | None = None,
    severity: str | None = None,
    resource_id: str | None = None,
    tenant_id: str | None = None,
    status: AlertStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AlertPage:
    f = repo.AlertFilter(alert_type, severity, resource_id, tenant_id, status)
    with runtime.db.read() as session:
        rows, total = repo.search(session, f, limit=limit, offset=offset)
        items = [AlertOut.model_validate(r) for r in rows]
    return AlertPage(
        items=items,
        total=total,
        total_capped=total > repo.COUNT_CAP,
        shown=len(items),
        limit=limit,
        offset=offset,
    )


@admin.post("/sweep", response_model=SweepOut)
def sweep_now(runtime: RuntimeDep, _actor: Actor) -> SweepOut:
    """Evaluate every rule now (the schedule does it every minute)."""
    return SweepOut(**runtime.service(AlertLog).sweep().__dict__)


@admin.get("/{alert_id}", response_model=AlertDetail)
def get_alert(alert_id: int, runtime: RuntimeDep, _actor: Actor) -> AlertDetail:
    with runtime.db.read() as session:
        alert = repo.get(session, alert_id)
        return AlertDetail(
            **AlertOut.model_validate(alert).model_dump(),
            history=[HistoryOut.model_validate(h) for h in repo.history_of(session, [alert_id])],
            deliveries=[DeliveryOut.model_validate(d) for d in repo.deliveries(session, alert_id)],
        )


@admin.post("/{alert_id}/ack", response_model=AlertOut)
def acknowledge(alert_id: int, runtime: RuntimeDep, actor: Actor) -> AlertOut:
    return AlertOut.model_validate(runtime.service(AlertLog).acknowledge(alert_id, actor=actor))


@admin.post("/{alert_id}/resolve", response_model=AlertOut)
def resolve(alert_id: int, runtime: RuntimeDep, actor: Actor) -> AlertOut:
    return AlertOut.model_validate(runtime.service(AlertLog).resolve(alert_id, actor=actor))


@tenant_actions.patch("/{tenant_id}/mute-alerts", response_model=MuteOut)
def mute_alerts(tenant_id: str, body: MuteIn, runtime: RuntimeDep, actor: Actor) -> MuteOut:
    """Mute (``muted: true``, optionally for ``minutes`` or ``until``) or unmute a tenant."""
    with runtime.db.read() as session:
        tenants_repo.get(session, tenant_id)
    if not body.muted:
        runtime.service(AlertLog).unmute(tenant_id, actor=actor)
        return MuteOut(tenant_id=tenant_id, muted=False, until=None, reason="")
    until = body.until
    if body.minutes:
        until = runtime.clock.now() + timedelta(minutes=body.minutes)
    mute = runtime.service(AlertLog).mute(tenant_id, actor=actor, until=until, reason=body.reason)
    return MuteOut(tenant_id=tenant_id, muted=True, until=mute.until, reason=mute.reason)


@tenant_actions.patch("/{tenant_id}/reset-payment-alert", response_model=ResetOut)
def reset_payment_alert(tenant_id: str, runtime: RuntimeDep, actor: Actor) -> ResetOut:
    """Close the payment-gate alert: if the tenant is still unpaid, the next sweep alerts again."""
    return _reset(runtime, tenant_id, "payment", actor)


@tenant_actions.patch("/{tenant_id}/reset-stuck", response_model=ResetOut)
def reset_stuck(tenant_id: str, runtime: RuntimeDep, actor: Actor) -> ResetOut:
    """Close the tenant's stuck alerts (rules declaring ``resets=("stuck",)``) and restart the
    clock of a state-dwell rule, so the next sweep does not alert again at once."""
    return _reset(runtime, tenant_id, "stuck", actor)


def _reset(runtime: RuntimeDep, tenant_id: str, kind: str, actor: str) -> ResetOut:
    with runtime.db.read() as session:
        tenants_repo.get(session, tenant_id)
    return ResetOut(
        tenant_id=tenant_id,
        resolved_alerts=runtime.service(AlertLog).reset(tenant_id, kind, actor=actor),
    )
