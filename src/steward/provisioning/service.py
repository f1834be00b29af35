"""Provisioning use cases: open runs (idempotent by business key), retry, cancel, deprovision.

Services never commit: callers pass the session of their one transaction. A run that must start
after an operator action is enqueued in that same transaction (``enqueue_in_transaction``), so
"retry recorded" and "retry started" commit together."""

from __future__ import annotations

from sqlalchemy.orm import Session

from steward.audit import service as audit
from steward.errors import ConfigError, Conflict, InvalidInput, NotFound
from steward.product import Product
from steward.provisioning import repository as repo
from steward.provisioning.models import Run, RunKind, RunState, StepRecord, StepState
from steward.runtime import Runtime
from steward.steps import Step
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants

QUEUE = "steward.provisioning"
WORKFLOW = "steward.provisioning.run"


def declared_steps(product: Product, plan_key: str, kind: RunKind) -> tuple[Step, ...]:
    plan = product.plan(plan_key)
    if kind is RunKind.SUSPEND:
        return tuple(plan.suspend_steps)
    if kind is RunKind.RESUME:
        return tuple(plan.resume_steps)
    return tuple(plan.provisioning)


def undo_steps(
    product: Product, run: Run, records: list[StepRecord]
) -> list[tuple[Step, StepRecord]]:
    """The finished steps of ``run`` that declare an undo, last first."""
    by_name = {s.name: s for s in declared_steps(product, run.plan, RunKind.PROVISION)}
    pairs = [(by_name[r.name], r) for r in records if r.name in by_name]
    return [(s, r) for s, r in reversed(pairs) if r.state is StepState.DONE and s.undo]


def _open(
    session: Session,
    runtime: Runtime,
    *,
    key: str,
    tenant_id: str,
    plan: str,
    kind: RunKind,
    generation: int,
    names: list[tuple[str, str]],
    cause_event_id: int | None,
    dry_run: bool | None,
    target_run_id: int | None = None,
) -> tuple[Run, bool]:
    found = repo.by_key(session, key)
    if found is not None:
        return found, False
    now = runtime.clock.now()
    run = Run(
        key=key,
        tenant_id=tenant_id,
        plan=plan,
        kind=kind,
        generation=generation,
        state=RunState.PENDING,
        workflow_id=key,
        retries=0,
        dry_run=runtime.settings.provisioning_dry_run if dry_run is None else dry_run,
        target_run_id=target_run_id,
        cause_event_id=cause_event_id,
        created_at=now,
        updated_at=now,
    )
    records = [
        StepRecord(position=i, name=name, state=StepState.PENDING, attempts=0, idempotency_key=ik)
        for i, (name, ik) in enumerate(names)
    ]
    repo.add_run(session, run, records)
    tenant = tenants_repo.get(session, tenant_id)
    tenants.note(session, tenant, now, "provisioning", f"{kind.value} run {key} opened")
    return run, True


def open_provision(
    session: Session,
    runtime: Runtime,
    tenant_id: str,
    plan: str | None = None,
    *,
    cause_event_id: int | None = None,
    dry_run: bool | None = None,
) -> tuple[Run, bool]:
    """The tenant's provisioning run for its current generation; (run, newly opened)."""
    tenant = tenants_repo.get(session, tenant_id)
    plan_key = runtime.product.plan(plan or tenant.plan).key
    generation = 1 + repo.count_runs(session, tenant_id, RunKind.DEPROVISION, RunState.COMPLETE)
    key = f"prov:{tenant_id}:{plan_key}:{generation}"
    steps = declared_steps(runtime.product, plan_key, RunKind.PROVISION)
    names = [(s.name, f"{key}:{s.name}") for s in steps]
    return _open(
        session,
        runtime,
        key=key,
        tenant_id=tenant_id,
        plan=plan_key,
        kind=RunKind.PROVISION,
        generation=generation,
        names=names,
        cause_event_id=cause_event_id,
        dry_run=dry_run,
    )


def open_order(
    session: Session, runtime: Runtime, tenant_id: str, plan: str, order_id: str
) -> tuple[Run, bool]:
    """One order's own provisioning run, keyed by the order (a customer may have several)."""
    plan_key = runtime.product.plan(plan).key
    key = f"order:{order_id}"
    steps = declared_steps(runtime.product, plan_key, RunKind.PROVISION)
    return _open(
        session,
        runtime,
        key=key,
        tenant_id=tenant_id,
        plan=plan_key,
        kind=RunKind.PROVISION,
        generation=1,
        names=[(s.name, f"{key}:{s.name}") for s in steps],
        cause_event_id=None,
        dry_run=None,
    )


def open_undo(session: Session, runtime: Runtime, run_key: str) -> tuple[Run, bool]:
    """Undo one given provisioning run (e.g. one order's), leaving the tenant's others alone."""
    target = repo.by_key(session, run_key)
    if target is None:
        raise NotFound(f"no provisioning run {run_key}")
    if target.state in (RunState.PROCESSING, RunState.PENDING, RunState.WAITING):
        raise Conflict(f"run {target.id} is {target.state.value}: cancel it first")
    pairs = undo_steps(runtime.product, target, repo.steps(session, target.id))
    return _open(
        session,
        runtime,
        key=f"undo:{run_key}",
        tenant_id=target.tenant_id,
        plan=target.plan,
        kind=RunKind.DEPROVISION,
        generation=target.generation,
        names=[(s.name, r.idempotency_key) for s, r in pairs],
        cause_event_id=None,
        dry_run=target.dry_run,
        target_run_id=target.id,
    )


def start(
    session: Session, runtime: Runtime, tenant_id: str, plan: str | None, *, dry_run: bool
) -> Run:
    """An operator-started run: the tenant's provisioning of record, or (dry_run) a rehearsal
    ``dry:<tenant>:<plan>:<n>`` that records what each step would do and calls nothing outside."""
    if not dry_run:
        run, new = open_provision(session, runtime, tenant_id, plan, dry_run=False)
        if not new:
            raise Conflict(f"tenant {tenant_id} already has the run {run.key} ({run.state.value})")
    else:
        tenant = tenants_repo.get(session, tenant_id)
        plan_key = runtime.product.plan(plan or tenant.plan).key
        prefix = f"{repo.DRY_PREFIX}{tenant_id}:{plan_key}:"
        key = f"{prefix}{repo.count_keys(session, prefix) + 1}"
        steps = declared_steps(runtime.product, plan_key, RunKind.PROVISION)
        run, _ = _open(
            session,
            runtime,
            key=key,
            tenant_id=tenant_id,
            plan=plan_key,
            kind=RunKind.PROVISION,
            generation=0,
            names=[(s.name, f"{key}:{s.name}") for s in steps],
            cause_event_id=None,
            dry_run=True,
        )
    enqueue(session, runtime, run)
    return run


def open_deprovision(
    session: Session, runtime: Runtime, tenant_id: str, *, cause_event_id: int | None = None
) -> tuple[Run, bool]:
    target = repo.latest(session, tenant_id, RunKind.PROVISION)
    if target is None:
        raise NotFound(f"tenant {tenant_id} has no provisioning run to undo")
    if target.state in (RunState.PROCESSING, RunState.PENDING, RunState.WAITING):
        raise Conflict(f"run {target.id} is {target.state.value}: cancel it first")
    key = f"deprov:{tenant_id}:{target.generation}"
    pairs = undo_steps(runtime.product, target, repo.steps(session, target.id))
    names = [(s.name, r.idempotency_key) for s, r in pairs]
    return _open(
        session,
        runtime,
        key=key,
        tenant_id=tenant_id,
        plan=target.plan,
        kind=RunKind.DEPROVISION,
        generation=target.generation,
        names=names,
        cause_event_id=cause_event_id,
        dry_run=target.dry_run,
        target_run_id=target.id,
    )


def open_lifecycle(
    session: Session, runtime: Runtime, tenant_id: str, kind: RunKind, cause_event_id: int
) -> tuple[Run, bool] | None:
    """A suspend or resume run, when the tenant's plan declares such steps."""
    tenant = tenants_repo.get(session, tenant_id)
    steps = declared_steps(runtime.product, tenant.plan, kind)
    if not steps:
        return None
    key = f"{kind.value}:{tenant_id}:{cause_event_id}"
    return _open(
        session,
        runtime,
        key=key,
        tenant_id=tenant_id,
        plan=tenant.plan,
        kind=kind,
        generation=0,
        names=[(s.name, f"{key}:{s.name}") for s in steps],
        cause_event_id=cause_event_id,
        dry_run=None,
    )


def enqueue(session: Session, runtime: Runtime, run: Run) -> None:
    """Start the run's workflow when this transaction commits (and only then)."""
    client = runtime.bus.client
    if client is None:
        raise ConfigError("provisioning runs need the durable engine (or a DBOS client) here")
    client.enqueue_in_transaction(
        session.connection(),
        {
            "queue_name": QUEUE,
            "workflow_name": WORKFLOW,
            "workflow_id": run.workflow_id,
            "app_version": runtime.settings.app_version,
        },
        run.id,
    )


def retry(session: Session, runtime: Runtime, run_id: int, actor: str = "admin") -> Run:
    """A failed run again, from its failed step, as a new workflow ``<key>:retry<n>``."""

    run = repo.get(session, run_id)
    if run.state is not RunState.FAILED:
        raise Conflict(f"run {run_id} is {run.state.value}; only a failed run can be retried")
    now = runtime.clock.now()
    n = run.retries + 1
    workflow_id = f"{run.key}:retry{n}"
    repo.move_run(
        session,
        run_id,
        RunState.PROCESSING,
        now,
        retries=n,
        workflow_id=workflow_id,
        reason=None,
        finished_at=None,
    )
    session.refresh(run)
    audit.record(
        session,
        now,
        actor=actor,
        action="provisioning.retry",
        target=f"provisioning_run:{run_id}",
        before={"state": "failed"},
        after={"state": "processing", "workflow_id": workflow_id},
    )
    tenants.note(
        session,
        tenants_repo.get(session, run.tenant_id),
        now,
        "provisioning",
        f"run {run.key} retried from its failed step ({workflow_id})",
    )
    enqueue(session, runtime, run)
    return run


def cancel(session: Session, runtime: Runtime, run_id: int, actor: str = "admin") -> Run:

    run = repo.get(session, run_id)
    before = run.state
    if before in (RunState.COMPLETE, RunState.CANCELED):
        raise Conflict(f"run {run_id} is {before.value}; nothing to cancel")
    now = runtime.clock.now()
    repo.move_run(
        session,
        run_id,
        RunState.CANCELED,
        now,
        reason=f"canceled by {actor}",
        finished_at=now,
        waiting_on=None,
    )
    session.refresh(run)
    audit.record(
        session,
        now,
        actor=actor,
        action="provisioning.cancel",
        target=f"provisioning_run:{run_id}",
        before={"state": before.value},
        after={"state": "canceled"},
    )
    return run


def deprovision(session: Session, runtime: Runtime, tenant_id: str, actor: str = "admin") -> Run:

    run, new = open_deprovision(session, runtime, tenant_id)
    if new:
        audit.record(
            session,
            runtime.clock.now(),
            actor=actor,
            action="provisioning.deprovision",
            target=f"tenant:{tenant_id}",
            before=None,
            after={"run": run.key},
        )
        enqueue(session, runtime, run)
    return run


def parse_state(value: str | None) -> RunState | None:
    if not value:
        return None
    try:
        return RunState(value)
    except ValueError:
        raise InvalidInput(
            f"state: unknown state {value!r}; use one of {', '.join(RunState)}", field="state"
        ) from None
