"""A product for the provisioning tests: 'test.activate' publishes tenant.activated (as billing
does on a first activation) for the plan named in the event."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from typing import Any

from steward.inbox.handlers import HandlerContext
from steward.module import Module, On
from steward.product import Plan, Product
from steward.provisioning import PermanentStepError, Retry, Step, StepContext, kinds
from steward.provisioning import repository as prov_repo
from steward.provisioning.models import Resource
from steward.runtime import current

CALLS: Counter[str] = Counter()  # step name:tenant -> calls, in this process
BROKEN: set[str] = set()  # tenants whose 'fragile' step fails permanently
FLAKY_FAILURES = 2
UNDONE: list[str] = []
_lock = threading.Lock()


def activate(ctx: HandlerContext) -> None:
    ctx.tenant_id = ctx.data_object["tenant_id"]
    current().bus.publish(
        ctx.session,
        "tenant.activated",
        tenant_id=ctx.tenant_id,
        data={"plan": ctx.data_object.get("plan", "basic")},
        cause_event_id=ctx.event.id,
    )


def lifecycle(kind: str) -> Any:
    """'test.suspend' / 'test.resume' publish tenant.suspend_requested / resume_requested."""

    def handler(ctx: HandlerContext) -> None:
        ctx.tenant_id = ctx.data_object["tenant_id"]
        current().bus.publish(
            ctx.session,
            f"tenant.{kind}_requested",
            tenant_id=ctx.tenant_id,
            data={},
            cause_event_id=ctx.event.id,
        )

    return handler


def sleepy(ctx: StepContext) -> dict[str, Any]:
    _count(ctx)
    time.sleep(2)
    return {"woke": True}


def _count(ctx: StepContext) -> int:
    with _lock:
        CALLS[f"{ctx.step}:{ctx.tenant.id}"] += 1
        return CALLS[f"{ctx.step}:{ctx.tenant.id}"]


def _effect(ctx: StepContext, name: str) -> None:
    """Record an effect in the database, once per idempotency key (unique constraint)."""
    runtime = ctx.runtime
    with runtime.db.transaction() as session:
        prov_repo.put_resource(
            session,
            Resource(
                tenant_id=ctx.tenant.id,
                kind="effect",
                name=name,
                data="{}",
                created_at=runtime.clock.now(),
            ),
        )


def flaky(ctx: StepContext) -> dict[str, Any]:
    n = _count(ctx)
    if n <= FLAKY_FAILURES:
        raise ConnectionError(f"flaky failure {n}")
    return {"calls": n}


def fragile(ctx: StepContext) -> dict[str, Any]:
    _count(ctx)
    if ctx.tenant.id in BROKEN:
        raise PermanentStepError("the routing table is misconfigured")
    return {"ok": True}


def plain(ctx: StepContext) -> dict[str, Any]:
    _count(ctx)
    return {"step": ctx.step}


def undo(ctx: StepContext) -> dict[str, Any]:
    with _lock:
        UNDONE.append(f"{ctx.tenant.id}:{ctx.step}")
    return {"undone": ctx.step}


def slow(ctx: StepContext) -> dict[str, Any]:
    """Records 'start' and, 1 s later, 'end' effects: a SIGKILL in between re-runs it."""
    runtime = ctx.runtime
    with runtime.db.transaction() as session:
        session.execute(
            Resource.__table__.insert().values(
                tenant_id=ctx.tenant.id,
                kind="attempt",
                name=f"{ctx.step}:{time.time_ns()}",
                data=json.dumps({"pid": os.getpid()}),
                created_at=runtime.clock.now(),
            )
        )
    time.sleep(1)
    _effect(ctx, ctx.idempotency_key)
    return {"slow": True}


RETRY_FAST = Retry(attempts=3, backoff_seconds=0.05)

product = Product(
    name="ProvisioningTest",
    plans=[
        Plan(
            key="basic",
            name="Basic",
            price=100,
            provisioning=(
                kinds.seed_defaults("seed", {"welcome": {"title": "Welcome"}}),
                Step("flaky", flaky, undo, retry=RETRY_FAST),
                Step("fragile", fragile, undo, retry=RETRY_FAST),
                Step("last", plain, undo),
            ),
        ),
        Plan(
            key="phone",
            name="Phone",
            price=100,
            provisioning=(kinds.allocate("numbers", wait_timeout_seconds=120),),
        ),
        Plan(
            key="slow",
            name="Slow",
            price=100,
            provisioning=tuple(Step(f"s{i}", slow, undo, timeout_seconds=30) for i in range(1, 4)),
        ),
        Plan(
            key="sleepy",
            name="Sleepy",
            price=100,
            provisioning=(
                Step("sleepy", sleepy, timeout_seconds=0.3, retry=Retry(2, backoff_seconds=0.05)),
            ),
        ),
        Plan(
            key="lifecycle",
            name="Lifecycle",
            price=100,
            provisioning=(Step("open", plain, undo),),
            suspend_steps=(Step("pause_site", plain), Step("pause_calls", plain)),
            resume_steps=(Step("resume_site", plain),),
        ),
    ],
    modules=(
        Module(
            "provisioning-test",
            handlers=(
                On("stripe", ("test.activate",), activate),
                On("stripe", ("test.suspend",), lifecycle("suspend")),
                On("stripe", ("test.resume",), lifecycle("resume")),
            ),
        ),
    ),
)
