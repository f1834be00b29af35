"""Admin and tenant API over provisioning runs and pools, and the signed signal callbacks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from steward.api.deps import Actor, CurrentTenant, RuntimeDep
from steward.errors import InvalidSignature, MissingSignature, NotFound, StaleSignature
from steward.pools import service as pools
from steward.provisioning import repository as repo
from steward.provisioning import service, workflows
from steward.provisioning.models import Run
from steward.provisioning.schemas import (
    InputIn,
    PoolAdd,
    PoolOut,
    RunDetail,
    RunOut,
    RunPage,
    RunStart,
    StepOut,
    TenantStatus,
)

admin = APIRouter(prefix="/admin/api", tags=["admin: provisioning"])
tenant_api = APIRouter(prefix="/api/v1", tags=["tenant API"])
callbacks = APIRouter(tags=["webhooks"])


def _detail(session: object, run: Run) -> RunDetail:
    steps = [StepOut.model_validate(s) for s in repo.steps(session, run.id)]  # type: ignore[arg-type]
    return RunDetail(**RunOut.model_validate(run).model_dump(), steps=steps)


@admin.get("/provisioning", response_model=RunPage)
def list_runs(
    runtime: RuntimeDep,
    _admin: Actor,
    state: str | None = None,
    tenant: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RunPage:
    wanted = service.parse_state(state)
    with runtime.db.read() as session:
        rows, total = repo.search(
            session, state=wanted, tenant_id=tenant, limit=limit, offset=offset
        )
        return RunPage(items=[RunOut.model_validate(r) for r in rows], total=total)


@admin.post("/provisioning", response_model=RunOut, status_code=202)
def start_run(body: RunStart, runtime: RuntimeDep, _admin: Actor) -> RunOut:
    """Start a run for a tenant; ``dry_run`` records what each step would do, calling nothing."""
    with runtime.db.transaction() as session:
        run = service.start(session, runtime, body.tenant_id, body.plan, dry_run=body.dry_run)
        return RunOut.model_validate(run)


@admin.get("/provisioning/{run_id}", response_model=RunDetail)
def get_run(run_id: int, runtime: RuntimeDep, _admin: Actor) -> RunDetail:
    with runtime.db.read() as session:
        return _detail(session, repo.get(session, run_id))


@admin.post("/provisioning/{run_id}/retry", response_model=RunOut)
def retry_run(run_id: int, runtime: RuntimeDep, _admin: Actor) -> RunOut:
    with runtime.db.transaction() as session:
        return RunOut.model_validate(service.retry(session, runtime, run_id))


@admin.post("/provisioning/{run_id}/cancel", response_model=RunOut)
def cancel_run(run_id: int, runtime: RuntimeDep, _admin: Actor) -> RunOut:
    with runtime.db.transaction() as session:
        run = service.cancel(session, runtime, run_id)
        out = RunOut.model_validate(run)
    workflows.send(runtime, run.workflow_id, {"canceled": True}, workflows.SWITCH_TOPIC)
    return out


@admin.post("/tenants/{tenant_id}/deprovision", response_model=RunOut, status_code=202)
def deprovision(tenant_id: str, runtime: RuntimeDep, _admin: Actor) -> RunOut:
    with runtime.db.transaction() as session:
        return RunOut.model_validate(service.deprovision(session, runtime, tenant_id))


@admin.post("/pools/{name}/items", response_model=PoolOut)
def add_to_pool(name: str, body: PoolAdd, runtime: RuntimeDep, _admin: Actor) -> PoolOut:
    with runtime.db.transaction() as session:
        added = pools.add(
            session,
            runtime.clock,
            name,
            body.values,
            low_watermark=body.low_watermark,
            default_watermark=runtime.settings.pool_low_watermark,
        )
        level = pools.level(session, name)
    woken = workflows.notify(runtime, f"pool:{name}") if added.added else 0
    return PoolOut(**vars(level), woken=woken)


@admin.get("/pools", response_model=list[PoolOut])
def pool_levels(runtime: RuntimeDep, _admin: Actor) -> list[PoolOut]:
    with runtime.db.read() as session:
        return [PoolOut(**vars(level)) for level in pools.levels(session)]


@tenant_api.get("/provisioning", response_model=TenantStatus)
def my_provisioning(claims: CurrentTenant, runtime: RuntimeDep) -> TenantStatus:
    """Only the caller's own runs, newest first."""
    with runtime.db.read() as session:
        rows, _ = repo.search(session, tenant_id=claims.tenant_id, limit=20)
        if not rows:
            return TenantStatus(state="none")
        return TenantStatus(
            state=rows[0].state.value,
            reason=rows[0].reason,
            runs=[_detail(session, r) for r in rows],
        )


@tenant_api.put("/provisioning/inputs/{name}", status_code=204)
def put_input(name: str, body: InputIn, claims: CurrentTenant, runtime: RuntimeDep) -> None:
    """What the customer supplies for provisioning (e.g. Syston's Make.com webhook URL)."""
    with runtime.db.transaction() as session:
        repo.put_input(session, claims.tenant_id, name[:200], body.value, runtime.clock.now())


def verify_panel(secret: str, body: bytes, header: str | None, tolerance: int = 300) -> None:
    """``X-Panel-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``."""
    if not header:
        raise MissingSignature("the X-Panel-Signature header is missing")
    fields = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        stamp = int(fields.get("t", ""))
    except ValueError:
        raise InvalidSignature("the X-Panel-Signature header is malformed") from None
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields.get("v1", "")):
        raise InvalidSignature("the X-Panel-Signature does not match the body")
    if abs(time.time() - stamp) > tolerance:
        raise StaleSignature()


@callbacks.post("/webhooks/panel")
async def panel_callback(
    request: Request,
    runtime: RuntimeDep,
    x_panel_signature: Annotated[str | None, Header()] = None,
) -> dict[str, bool]:
    """The game panel's "server installed" callback: wakes the run that waits for it."""
    body = await request.body()
    verify_panel(runtime.settings.panel_webhook_secret, body, x_panel_signature)
    payload = json.loads(body)
    key = str(payload.get("external_id", ""))

    def deliver() -> None:
        with runtime.db.read() as session:
            run = repo.by_key(session, key.rsplit(":", 1)[0]) if key else None
            if run is None:
                raise NotFound(f"no provisioning run for {key!r}")
            workflow_id = run.workflow_id
        workflows.send(runtime, workflow_id, payload, "panel.server_installed")

    await asyncio.to_thread(deliver)
    return {"received": True}
