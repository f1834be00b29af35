"""Provisioning runs, their per-step timeline, and what a run gave a tenant."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from steward.db import Base, UTCDateTime

BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class RunKind(StrEnum):
    PROVISION = "provision"  # the plan's steps, in order
    DEPROVISION = "deprovision"  # the undo of every finished step, in reverse order
    SUSPEND = "suspend"  # the plan's suspend steps
    RESUME = "resume"  # the plan's resume steps


class RunState(StrEnum):
    PENDING = "pending"  # recorded, the workflow has not started a step yet
    PROCESSING = "processing"  # a step is running (or about to)
    WAITING = "waiting"  # durably waiting: empty pool, outside signal, or kill switch off
    COMPLETE = "complete"  # every step is done
    FAILED = "failed"  # a step failed for good; reason says which and why; retryable
    CANCELED = "canceled"  # an operator stopped it; nothing more runs


RUN_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    RunState.PENDING: frozenset({RunState.PROCESSING, RunState.CANCELED}),
    RunState.PROCESSING: frozenset(
        {RunState.WAITING, RunState.COMPLETE, RunState.FAILED, RunState.CANCELED}
    ),
    RunState.WAITING: frozenset({RunState.PROCESSING, RunState.FAILED, RunState.CANCELED}),
    RunState.FAILED: frozenset({RunState.PROCESSING, RunState.CANCELED}),
    RunState.COMPLETE: frozenset(),
    RunState.CANCELED: frozenset(),
}


class StepState(StrEnum):
    PENDING = "pending"  # not started
    RUNNING = "running"  # an attempt is under way (or was, when the process died)
    WAITING = "waiting"  # returned Wait: the run waits for a signal before running it again
    DONE = "done"  # finished; never run again (a retried run skips it)
    FAILED = "failed"  # its last attempt failed; the run failed here
    UNDONE = "undone"  # its undo ran during deprovisioning


STEP_TRANSITIONS: dict[StepState, frozenset[StepState]] = {
    StepState.PENDING: frozenset({StepState.RUNNING}),
    StepState.RUNNING: frozenset(
        {StepState.RUNNING, StepState.WAITING, StepState.DONE, StepState.FAILED}
    ),
    StepState.WAITING: frozenset({StepState.RUNNING, StepState.FAILED}),
    StepState.FAILED: frozenset({StepState.RUNNING}),
    StepState.DONE: frozenset({StepState.UNDONE}),
    StepState.UNDONE: frozenset(),
}


def _enum(enum: type[StrEnum]) -> sa.Enum:
    return sa.Enum(
        enum, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class Run(Base):
    __tablename__ = "provisioning_runs"
    __table_args__ = (
        sa.UniqueConstraint("key", name="uq_provisioning_runs_key"),
        sa.Index("ix_provisioning_runs_tenant", "tenant_id"),
        sa.Index("ix_provisioning_runs_state", "state"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(sa.String(200))  # business key = first workflow id
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    plan: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[RunKind] = mapped_column(_enum(RunKind))
    generation: Mapped[int] = mapped_column(sa.Integer)
    state: Mapped[RunState] = mapped_column(_enum(RunState))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    workflow_id: Mapped[str] = mapped_column(sa.String(220))  # key, or key:retryN
    retries: Mapped[int] = mapped_column(sa.Integer, default=0)
    dry_run: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    waiting_on: Mapped[str | None] = mapped_column(sa.String(200))  # recv topic while waiting
    target_run_id: Mapped[int | None] = mapped_column(BIGINT)  # the run a deprovision undoes
    cause_event_id: Mapped[int | None] = mapped_column(BIGINT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StepRecord(Base):
    """One declared step of one run: its timeline."""

    __tablename__ = "provisioning_steps"
    __table_args__ = (sa.UniqueConstraint("run_id", "position", name="uq_provisioning_steps"),)

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("provisioning_runs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(100))
    state: Mapped[StepState] = mapped_column(_enum(StepState))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    idempotency_key: Mapped[str] = mapped_column(sa.String(300))
    output: Mapped[str | None] = mapped_column(sa.Text)  # JSON summary
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Resource(Base):
    """Something a step gave a tenant (seeded content, routing, a webhook, a server id)."""

    __tablename__ = "provisioned_resources"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "kind", "name", name="uq_provisioned_resources"),
    )

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    data: Mapped[str] = mapped_column(sa.Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
