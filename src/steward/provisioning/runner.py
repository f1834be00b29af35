"""One attempt of one step, recorded on the run's timeline (called from a DBOS step).

The step function runs in a thread so that its declared timeout holds; a timed-out attempt is
counted as failed (its thread is left to finish: steps must be idempotent anyway)."""

from __future__ import annotations

import json
import threading
import time
import traceback
from typing import Any

import structlog

from steward.errors import IllegalTransition
from steward.provisioning import repository as repo
from steward.provisioning import service
from steward.provisioning.models import Run, RunKind, RunState, StepState
from steward.runtime import Runtime
from steward.steps import PermanentStepError, Step, StepContext, TenantInfo, Wait
from steward.tenants import repository as tenants_repo

log = structlog.get_logger("steward.provisioning")

SWITCH_TOPIC = "provisioning.switch"


class StepTimeout(Exception):
    pass


def summary(value: Any, limit: int = 2000) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def resolve(runtime: Runtime, run: Run, position: int, name: str) -> tuple[Step, dict[str, Any]]:
    """The declared step, and for an undo the output of the step it undoes."""
    if run.kind is RunKind.DEPROVISION:
        with runtime.db.read() as session:
            target = repo.get(session, run.target_run_id or 0)
            records = repo.steps(session, target.id)
        for step, record in service.undo_steps(runtime.product, target, records):
            if step.name == name:
                return step, json.loads(record.output or "{}")
        raise LookupError(f"step {name} is no longer undoable")
    for step in service.declared_steps(runtime.product, run.plan, run.kind):
        if step.name == name:
            return step, {}
    raise LookupError(f"plan {run.plan} no longer declares step {name}")


def call_with_timeout(fn: Any, ctx: StepContext, timeout: float) -> Any:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(ctx)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name=f"step-{ctx.step}")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise StepTimeout(f"timed out after {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def attempt(
    runtime: Runtime, run_id: int, position: int, attempt_no: int, signals: dict[str, Any]
) -> dict[str, Any]:
    """Run one attempt; returns {"status": done|retry|failed|wait|canceled, ...}."""
    now = runtime.clock.now
    switch_on = bool(runtime.flags.enabled("provisioning"))
    with runtime.db.transaction() as session:
        run = repo.get(session, run_id)
        if run.state in (RunState.CANCELED, RunState.COMPLETE):
            return {"status": "canceled"}
        record = repo.step(session, run_id, position)
        if record.state is StepState.DONE:  # a re-run after a crash between record and checkpoint
            return {"status": "done", "output": json.loads(record.output or "{}")}
        if not switch_on:  # the kill switch: the run waits, visibly, before this step
            if run.state is not RunState.WAITING or run.waiting_on != SWITCH_TOPIC:
                repo.move_run(
                    session,
                    run_id,
                    RunState.WAITING,
                    now(),
                    waiting_on=SWITCH_TOPIC,
                    reason="the provisioning kill switch is off",
                )
            return {"status": "switch"}
        if run.state is RunState.WAITING:
            repo.move_run(session, run_id, RunState.PROCESSING, now(), waiting_on=None, reason=None)
        repo.start_attempt(session, run_id, position, now())
        tenant = tenants_repo.get(session, run.tenant_id)
        # the plan being provisioned (the checkout's), which the tenant row may not show yet
        info = TenantInfo(tenant.id, tenant.email, tenant.name, tenant.phone, run.plan)
        outputs = {
            r.name: json.loads(r.output or "{}")
            for r in repo.steps(session, run_id)
            if r.state is StepState.DONE
        }
        name, key, kind, dry_run = record.name, record.idempotency_key, run.kind, run.dry_run
        run_key = run.key
    step, own_output = resolve(runtime, run, position, name)
    fn = step.undo if kind is RunKind.DEPROVISION else step.run
    ctx = StepContext(
        info, run_key, name, key, outputs, dict(signals), dry_run, runtime, own_output
    )
    error: str | None = None
    permanent = False
    result: Any = None
    started = time.monotonic()
    try:
        if step.when is not None and not step.when(runtime):
            result = {"skipped": "not enabled for this product"}
        elif dry_run and step.touches_outside:
            result = {"dry_run": True, "would": step.describe or f"run {name}"}
        else:
            result = call_with_timeout(fn, ctx, step.timeout_seconds)
    except PermanentStepError as exc:
        error, permanent = f"{type(exc).__name__}: {exc.message}", True
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, StepTimeout):
            error += "\n" + "".join(traceback.format_exception(exc)[-3:])
    log.info(
        "provisioning.step",
        tenant_id=info.id,
        plan=info.plan,
        run_key=run_key,
        step=name,
        attempt=attempt_no,
        ok=error is None,
        duration_ms=round((time.monotonic() - started) * 1000, 1),
    )
    with runtime.db.transaction() as session:
        try:
            if isinstance(result, Wait) and error is None:
                repo.move_step(session, run_id, position, StepState.WAITING)
                repo.move_run(
                    session,
                    run_id,
                    RunState.WAITING,
                    now(),
                    waiting_on=result.topic,
                    reason=result.reason,
                )
                return {
                    "status": "wait",
                    "topic": result.topic,
                    "timeout": result.timeout_seconds,
                    "reason": result.reason,
                }
            if error is None:
                output = dict(result or {})
                repo.move_step(
                    session,
                    run_id,
                    position,
                    StepState.DONE,
                    output=summary(output),
                    finished_at=now(),
                )
                if kind is RunKind.DEPROVISION:
                    _mark_undone(session, run_id, name)
                return {"status": "done", "output": output}
            last = permanent or attempt_no >= step.retry.attempts
            repo.move_step(
                session,
                run_id,
                position,
                StepState.FAILED if last else StepState.RUNNING,
                error=error[:4000],
            )
        except IllegalTransition:  # canceled meanwhile
            return {"status": "canceled"}
    if last:
        how = "permanently" if permanent else f"after {attempt_no} attempts"
        return {"status": "failed", "reason": f"step {name} failed {how}: {error.splitlines()[0]}"}
    return {"status": "retry", "delay": step.retry.delay(attempt_no)}


def _mark_undone(session: Any, run_id: int, name: str) -> None:
    run = repo.get(session, run_id)
    for record in repo.steps(session, run.target_run_id or 0):
        if record.name == name and record.state is StepState.DONE:
            repo.move_step(session, record.run_id, record.position, StepState.UNDONE)
