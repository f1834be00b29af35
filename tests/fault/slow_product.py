"""A product whose 'test.slow' handler takes a while and leaves one visible effect per event."""

from __future__ import annotations

import time

from steward.inbox.handlers import HandlerContext
from steward.module import Module, On
from steward.product import Plan, Product
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants


def slow_effect(ctx: HandlerContext) -> None:
    tenant = tenants_repo.get(ctx.session, ctx.data_object["tenant_id"], for_update=True)
    ctx.tenant_id = tenant.id
    tenants.note(
        ctx.session, tenant, tenant.created_at, "effect", ctx.event.external_id, ctx.event.id
    )
    time.sleep(0.15)  # the worker is killed while a handler is in here


product = Product(
    name="Slow",
    plans=[Plan(key="starter", name="Starter", price=100, trial_days=7)],
    modules=(Module("slow", handlers=(On("stripe", ("test.slow",), slow_effect),)),),
)
