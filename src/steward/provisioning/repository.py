"""Queries on provisioning runs and steps; every state change is a guarded UPDATE."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.kit import transitions
from steward.kit.repository import get_or_404, page
from steward.kit.transitions import Moved
from steward.provisioning.models import (
    RUN_TRANSITIONS,
    STEP_TRANSITIONS,
    Resource,
    Run,
    RunKind,
    RunState,
    StepRecord,
    StepState,
)

INPUT_KIND = "input"  # provisioned_resources rows holding what the customer supplied


def add_run(session: Session, run: Run, steps: list[StepRecord]) -> Run:
    session.add(run)
    session.flush()
    for step in steps:
        step.run_id = run.id
        session.add(step)
    session.flush()
    return run


def get(session: Session, run_id: int) -> Run:
    return get_or_404(session, Run, run_id, "provisioning run")


def by_key(session: Session, key: str) -> Run | None:
    return session.execute(sa.select(Run).where(Run.key == key)).scalar_one_or_none()


def steps(session: Session, run_id: int) -> list[StepRecord]:
    return list(
        session.execute(
            sa.select(StepRecord).where(StepRecord.run_id == run_id).order_by(StepRecord.position)
        ).scalars()
    )


def step(session: Session, run_id: int, position: int) -> StepRecord:
    return session.execute(
        sa.select(StepRecord).where(StepRecord.run_id == run_id, StepRecord.position == position)
    ).scalar_one()


def search(
    session: Session,
    *,
    state: RunState | None = None,
    tenant_id: str | None = None,
    kind: RunKind | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Run], int]:
    where: list[Any] = []
    if state is not None:
        where.append(Run.state == state)
    if tenant_id:
        where.append(Run.tenant_id == tenant_id)
    if kind is not None:
        where.append(Run.kind == kind)
    return page(session, sa.select(Run).where(*where).order_by(Run.id.desc()), limit, offset)


DRY_PREFIX = "dry:"  # operator-started dry runs: never the tenant's provisioning of record


def latest(session: Session, tenant_id: str, kind: RunKind) -> Run | None:
    return session.execute(
        sa.select(Run)
        .where(Run.tenant_id == tenant_id, Run.kind == kind, ~Run.key.startswith(DRY_PREFIX))
        .order_by(Run.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def count_runs(session: Session, tenant_id: str, kind: RunKind, state: RunState) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(Run)
            .where(Run.tenant_id == tenant_id, Run.kind == kind, Run.state == state)
        ).scalar_one()
    )


def count_keys(session: Session, prefix: str) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count()).select_from(Run).where(Run.key.startswith(prefix))
        ).scalar_one()
    )


def put_input(session: Session, tenant_id: str, name: str, value: str, at: datetime) -> None:
    """A customer-supplied provisioning input (e.g. a webhook URL); a new value replaces it."""
    found = find_resource(session, tenant_id, INPUT_KIND, name)
    if found is not None:
        found.data = json.dumps({"value": value})
        session.flush()
        return
    session.add(
        Resource(
            tenant_id=tenant_id,
            kind=INPUT_KIND,
            name=name,
            data=json.dumps({"value": value}),
            created_at=at,
        )
    )
    session.flush()


def get_input(session: Session, tenant_id: str, name: str) -> str | None:
    found = find_resource(session, tenant_id, INPUT_KIND, name)
    return None if found is None else str(json.loads(found.data)["value"])


def waiting_on(session: Session, topic: str) -> list[Run]:
    return list(
        session.execute(
            sa.select(Run).where(Run.state == RunState.WAITING, Run.waiting_on == topic)
        ).scalars()
    )


def move_run(
    session: Session,
    run_id: int,
    to: RunState,
    at: datetime,
    *,
    expect: RunState | None = None,
    **values: Any,
) -> Moved[RunState]:
    """Guarded: only from a state whose transitions allow ``to``; IllegalTransition otherwise."""
    return transitions.transition(
        session, Run, {"id": run_id}, to, table=RUN_TRANSITIONS, what="provisioning run",
        column="state", expect=expect, values={"updated_at": at, **values},
    )  # fmt: skip


def move_step(
    session: Session, run_id: int, position: int, to: StepState, **values: Any
) -> Moved[StepState]:
    return transitions.transition(
        session, StepRecord, {"run_id": run_id, "position": position}, to,
        table=STEP_TRANSITIONS, what="provisioning step", column="state", values=values,
    )  # fmt: skip


def start_attempt(session: Session, run_id: int, position: int, at: datetime) -> None:
    move_step(
        session,
        run_id,
        position,
        StepState.RUNNING,
        attempts=StepRecord.attempts + 1,
        started_at=sa.func.coalesce(StepRecord.started_at, at),
        error=None,
    )


# provisioned resources


def put_resource(session: Session, resource: Resource) -> Resource:
    """Insert unless the tenant already has this (kind, name): idempotent by construction."""
    found = find_resource(session, resource.tenant_id, resource.kind, resource.name)
    if found is not None:
        return found
    session.add(resource)
    session.flush()
    return resource


def find_resource(session: Session, tenant_id: str, kind: str, name: str) -> Resource | None:
    return session.execute(
        sa.select(Resource).where(
            Resource.tenant_id == tenant_id, Resource.kind == kind, Resource.name == name
        )
    ).scalar_one_or_none()


def resources(session: Session, tenant_id: str) -> list[Resource]:
    return list(
        session.execute(
            sa.select(Resource).where(Resource.tenant_id == tenant_id).order_by(Resource.id)
        ).scalars()
    )


def delete_resources(session: Session, tenant_id: str, kind: str) -> int:
    result = session.execute(
        sa.delete(Resource).where(Resource.tenant_id == tenant_id, Resource.kind == kind)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
