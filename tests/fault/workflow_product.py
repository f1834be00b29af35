"""A product whose 'test.start' event starts a three-step DBOS workflow; step 2 is slow."""

from __future__ import annotations

import time

from dbos import DBOS

from steward.inbox.handlers import HandlerContext
from steward.module import Module, On, Subscribe
from steward.product import Plan, Product
from steward.runtime import current
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants


def start(ctx: HandlerContext) -> None:
    ctx.tenant_id = ctx.data_object["tenant_id"]
    ctx.runtime.bus.publish(ctx.session, "test.started", tenant_id=ctx.tenant_id)


def note(domain_event_id: int, what: str) -> None:
    runtime = current()
    with runtime.db.transaction() as session:
        from steward.events import repository as events_repo

        tenant = tenants_repo.get(
            session, events_repo.get(session, domain_event_id).tenant_id or ""
        )
        tenants.note(session, tenant, runtime.clock.now(), "step", what)


@DBOS.workflow(name="tests.fault.three_steps")
def three_steps(domain_event_id: int) -> None:
    step_one(domain_event_id)
    step_two(domain_event_id)
    step_three(domain_event_id)


@DBOS.step(name="tests.fault.step_one")
def step_one(domain_event_id: int) -> None:
    note(domain_event_id, "one")


@DBOS.step(name="tests.fault.step_two")
def step_two(domain_event_id: int) -> None:
    note(domain_event_id, "two-start")
    time.sleep(3)  # the worker is killed here
    note(domain_event_id, "two-end")


@DBOS.step(name="tests.fault.step_three")
def step_three(domain_event_id: int) -> None:
    note(domain_event_id, "three")


product = Product(
    name="Workflow",
    plans=[Plan(key="starter", name="Starter", price=100)],
    modules=(
        Module(
            "workflow-test",
            handlers=(On("stripe", ("test.start",), start),),
            subscribers=(Subscribe("test.started", three_steps),),
        ),
    ),
)
