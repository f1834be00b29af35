"""Provisioning on fakes: a run records the plan's declared steps in order, each with its own
stable idempotency key, and opening it again returns the same run; deprovisioning undoes the
finished steps that declare an undo, last first, and waits for a run still in progress."""

from __future__ import annotations

from typing import Any

import pytest

from steward.errors import Conflict
from steward.product import Plan, Product
from steward.provisioning import repository as repo
from steward.provisioning import service
from steward.provisioning.models import StepRecord, StepState
from steward.steps import Step, StepContext
from steward.tenants import service as tenants
from tests.fakes import fakes


def _run(_ctx: StepContext) -> dict[str, Any]:
    return {}


STEPS = (
    Step("create_account", _run, undo=_run),
    Step("send_welcome", _run),
    Step("assign_number", _run, undo=_run),
)
PRODUCT = Product(
    name="Provisioning test", plans=[Plan(key="starter", name="S", price=100, provisioning=STEPS)]
)


def test_a_run_records_the_declared_steps_and_undoes_them_last_first() -> None:
    with fakes(PRODUCT) as f, f.db.transaction() as session:
        new = tenants.NewTenant("a@example.com", "A")
        tid = tenants.create(session, f.runtime.product, f.clock, new).id
        run, opened = service.open_provision(session, f.runtime, tid)
        same, reopened = service.open_provision(session, f.runtime, tid)
        records = repo.steps(session, run.id)
        assert (opened, reopened, same.id) == (True, False, run.id)
        assert [(r.position, r.name, r.idempotency_key) for r in records] == [
            (0, "create_account", f"prov:{tid}:starter:1:create_account"),
            (1, "send_welcome", f"prov:{tid}:starter:1:send_welcome"),
            (2, "assign_number", f"prov:{tid}:starter:1:assign_number"),
        ]
        with pytest.raises(Conflict, match="cancel it first"):
            service.open_deprovision(session, f.runtime, tid)
        done = [StepRecord(position=r.position, name=r.name, state=StepState.DONE) for r in records]
        undo = service.undo_steps(f.runtime.product, run, done)
        assert [s.name for s, _ in undo] == ["assign_number", "create_account"]
        done[2].state = StepState.FAILED  # never finished: nothing to undo
        undo = service.undo_steps(f.runtime.product, run, done)
        assert [s.name for s, _ in undo] == ["create_account"]
