"""A product for the hard-delete test: one plan whose provisioning takes a number from the pool
'numbers' (released by the deprovision run), JobRun's "alerts muted" delete check, and a
'test.activate' event that publishes tenant.activated as billing does."""

from __future__ import annotations

from steward.inbox.handlers import HandlerContext
from steward.module import Module, On
from steward.product import Plan, Product
from steward.provisioning import kinds
from steward.runtime import current
from steward.tenants.deletion import ALERTS_MUTED


def activate(ctx: HandlerContext) -> None:
    ctx.tenant_id = ctx.data_object["tenant_id"]
    current().bus.publish(
        ctx.session,
        "tenant.activated",
        tenant_id=ctx.tenant_id,
        data={"plan": "line"},
        cause_event_id=ctx.event.id,
    )


product = Product(
    name="Numbers",
    plans=[
        Plan(
            key="line",
            name="Line",
            price=4900,
            currency="gbp",
            provisioning=(kinds.allocate("numbers"),),
        )
    ],
    modules=(Module("pool-delete", handlers=(On("stripe", ("test.activate",), activate),)),),
    delete_checks=[ALERTS_MUTED],
)
