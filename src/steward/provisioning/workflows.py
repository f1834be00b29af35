"""The durable side: a run is the DBOS workflow ``steward.provisioning.run`` whose id is the run's
business key (``<key>`` first, ``<key>:retry<n>`` after an operator retry). Finished steps are
never run again: the workflow skips steps whose recorded state is done."""

from __future__ import annotations

import json
from typing import Any

import structlog
from dbos import DBOS, DBOSClient, SetWorkflowID

from steward.errors import Conflict, NotFound
from steward.events import repository as events_repo
from steward.module import Queue, Subscribe
from steward.provisioning import repository as repo
from steward.provisioning import runner, service
from steward.provisioning.models import RunKind, RunState, StepState
from steward.runtime import Runtime, current
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants

log = structlog.get_logger("steward.provisioning")

SWITCH_TOPIC = runner.SWITCH_TOPIC


@DBOS.workflow(name="steward.provisioning.on_activated")
def on_activated(domain_event_id: int) -> None:
    _start(open_from_event(domain_event_id, RunKind.PROVISION.value))


@DBOS.workflow(name="steward.provisioning.on_suspend_requested")
def on_suspend_requested(domain_event_id: int) -> None:
    _start(open_from_event(domain_event_id, RunKind.SUSPEND.value))


@DBOS.workflow(name="steward.provisioning.on_resume_requested")
def on_resume_requested(domain_event_id: int) -> None:
    _start(open_from_event(domain_event_id, RunKind.RESUME.value))


@DBOS.workflow(name="steward.provisioning.on_delete_requested")
def on_delete_requested(domain_event_id: int) -> None:
    _start(open_from_event(domain_event_id, RunKind.DEPROVISION.value))


def _start(opened: list[Any] | None) -> None:
    if opened:
        run_id, workflow_id = opened
        with SetWorkflowID(workflow_id):
            DBOS.start_workflow(execute, run_id)


@DBOS.step(name="steward.provisioning.open_from_event")
def open_from_event(domain_event_id: int, kind: str) -> list[Any] | None:
    """Open the run the event asks for; None when there is nothing to do (or it exists)."""
    runtime = current()
    with runtime.db.transaction() as session:
        event = events_repo.get(session, domain_event_id)
        tenant_id = event.tenant_id or ""
        data = json.loads(event.data or "{}")
        run_kind = RunKind(kind)
        if run_kind is RunKind.PROVISION:
            run, new = service.open_provision(
                session, runtime, tenant_id, data.get("plan"), cause_event_id=domain_event_id
            )
        elif run_kind is RunKind.DEPROVISION:
            try:
                run, new = service.open_deprovision(
                    session, runtime, tenant_id, cause_event_id=domain_event_id
                )
            except (NotFound, Conflict) as exc:
                log.warning(
                    "provisioning.deprovision_refused", tenant_id=tenant_id, reason=exc.message
                )
                return None
        else:
            opened = service.open_lifecycle(session, runtime, tenant_id, run_kind, domain_event_id)
            if opened is None:
                return None
            run, new = opened
        return [run.id, run.workflow_id] if new else None


@DBOS.workflow(name=service.WORKFLOW)
def execute(run_id: int) -> str:
    """Drive one run to complete, failed or canceled."""
    plan = load(run_id)
    if plan is None:
        return "canceled"
    signals: dict[str, Any] = {}
    for position, done in plan:
        if done:
            continue
        attempt_no, waited_since = 1, None
        while True:
            # one DBOS step per attempt: it checks the kill switch and records the timeline
            outcome = attempt_step(run_id, position, attempt_no, signals)
            status = outcome["status"]
            if status == "done":
                break
            if status == "canceled":
                return "canceled"
            if status == "switch":
                if not _await_switch(run_id):
                    return "canceled"
                continue
            if status == "failed":
                finish(run_id, RunState.FAILED.value, outcome["reason"])
                return "failed"
            if status == "retry":
                DBOS.sleep(outcome["delay"])
                attempt_no += 1
                continue
            # wait: for a signal, re-checking now and then, up to the step's timeout
            now = clock_now()
            waited_since = waited_since if waited_since is not None else now
            remaining = waited_since + outcome["timeout"] - now
            if remaining <= 0:
                finish(
                    run_id,
                    RunState.FAILED.value,
                    f"step timed out after {outcome['timeout']:g} s: {outcome['reason']}",
                )
                return "failed"
            recheck = current().settings.provisioning_wait_recheck_seconds
            message = DBOS.recv(outcome["topic"], min(remaining, recheck))
            if message is not None:
                signals[outcome["topic"]] = message
    finish(run_id, RunState.COMPLETE.value, None)
    return "complete"


def _await_switch(run_id: int) -> bool:
    poll = current().settings.provisioning_switch_poll_seconds
    while True:
        DBOS.recv(SWITCH_TOPIC, poll)
        if switch_open(run_id):
            return True
        if run_state(run_id) == RunState.CANCELED.value:
            return False


@DBOS.step(name="steward.provisioning.clock")
def clock_now() -> float:
    return float(current().clock.now().timestamp())


@DBOS.step(name="steward.provisioning.load")
def load(run_id: int) -> list[tuple[int, bool]] | None:
    """[(position, done)]; moves pending (or a retried, already processing) run to processing."""
    runtime = current()
    with runtime.db.transaction() as session:
        run = repo.get(session, run_id)
        if run.state in (RunState.CANCELED, RunState.COMPLETE):
            return None
        if run.state is RunState.PENDING:
            repo.move_run(
                session,
                run_id,
                RunState.PROCESSING,
                runtime.clock.now(),
                started_at=runtime.clock.now(),
            )
        return [(r.position, r.state is StepState.DONE) for r in repo.steps(session, run_id)]


@DBOS.step(name="steward.provisioning.run_state")
def run_state(run_id: int) -> str:
    with current().db.read() as session:
        return repo.get(session, run_id).state.value


@DBOS.step(name="steward.provisioning.switch")
def switch_open(run_id: int) -> bool:
    """The ``provisioning`` kill switch; when off, the run shows it is waiting on it."""
    runtime = current()
    enabled = bool(runtime.flags.enabled("provisioning"))
    with runtime.db.transaction() as session:
        run = repo.get(session, run_id)
        now = runtime.clock.now()
        if not enabled and run.state is RunState.PROCESSING:
            repo.move_run(
                session,
                run_id,
                RunState.WAITING,
                now,
                waiting_on=SWITCH_TOPIC,
                reason="the provisioning kill switch is off",
            )
        elif enabled and run.state is RunState.WAITING and run.waiting_on == SWITCH_TOPIC:
            repo.move_run(session, run_id, RunState.PROCESSING, now, waiting_on=None, reason=None)
    return enabled


@DBOS.step(name="steward.provisioning.attempt")
def attempt_step(
    run_id: int, position: int, attempt_no: int, signals: dict[str, Any]
) -> dict[str, Any]:
    return runner.attempt(current(), run_id, position, attempt_no, signals)


@DBOS.step(name="steward.provisioning.finish")
def finish(run_id: int, state: str, reason: str | None) -> None:
    runtime = current()
    to = RunState(state)
    with runtime.db.transaction() as session:
        run = repo.get(session, run_id)
        if run.state is to:
            return
        now = runtime.clock.now()
        repo.move_run(session, run_id, to, now, reason=reason, finished_at=now, waiting_on=None)
        tenant = tenants_repo.get(session, run.tenant_id)
        tenant_id, plan, began = run.tenant_id, run.plan, run.started_at or run.created_at
        message = f"{run.kind.value} run {run.key} {to.value}" + (f": {reason}" if reason else "")
        tenants.note(session, tenant, now, "provisioning", message)
        if to is RunState.FAILED:
            runtime.bus.publish(
                session,
                "provisioning.failed",
                tenant_id=run.tenant_id,
                data={"run_id": run.id, "key": run.key, "kind": run.kind.value, "reason": reason},
            )
        elif to is RunState.COMPLETE:
            runtime.bus.publish(
                session,
                f"provisioning.{run.kind.value}_complete",
                tenant_id=run.tenant_id,
                data={"run_id": run.id, "key": run.key, "plan": run.plan},
            )
    log.info(
        "provisioning.finished",
        run_id=run_id,
        tenant_id=tenant_id,
        plan=plan,
        state=state,
        reason=reason,
        duration_ms=round((now - began).total_seconds() * 1000, 1),
    )


def notify(runtime: Runtime, topic: str) -> int:
    """Wake the runs waiting on ``topic`` (e.g. ``pool:numbers`` after items were added)."""
    with runtime.db.read() as session:
        targets = [r.workflow_id for r in repo.waiting_on(session, topic)]
    for workflow_id in targets:
        send(runtime, workflow_id, {"topic": topic}, topic)
    return len(targets)


def send(runtime: Runtime, workflow_id: str, message: Any, topic: str) -> None:
    """DBOS.send in a process running the engine; the DBOS client elsewhere (the CLI)."""
    if runtime.bus.client is not None:
        runtime.bus.client.send(workflow_id, message, topic)
        return

    client = DBOSClient(
        system_database_url=runtime.settings.database_url,
        dbos_system_schema=runtime.settings.dbos_schema,
        application_name="steward",
    )
    try:
        client.send(workflow_id, message, topic)
    finally:
        client.destroy()


SUBSCRIBERS = (
    Subscribe("tenant.activated", on_activated),
    Subscribe("tenant.suspend_requested", on_suspend_requested),
    Subscribe("tenant.resume_requested", on_resume_requested),
    Subscribe("tenant.delete_requested", on_delete_requested),
)
QUEUES = (Queue(service.QUEUE, lambda s: s.provisioning_concurrency),)
