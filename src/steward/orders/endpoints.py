"""The tenant API over orders: buy, list one's own, cancel one."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from steward.api.deps import CurrentTenant, RuntimeDep
from steward.orders import service

tenant_api = APIRouter(prefix="/api/v1/orders", tags=["tenant API: orders"])


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: str = Field(min_length=1, max_length=64)


class OrderOut(BaseModel):
    id: str
    plan: str
    state: str
    provisioning: str
    checkout_url: str | None = None
    reason: str | None = None


class OrderPage(BaseModel):
    items: list[OrderOut]


def _one(runtime: RuntimeDep, tenant_id: str, order_id: str) -> OrderOut:
    with runtime.db.read() as session:
        found = next(v for v in service.views(session, tenant_id) if v.id == order_id)
        return OrderOut(**asdict(found))


@tenant_api.post("", response_model=OrderOut, status_code=201)
def buy(body: OrderIn, claims: CurrentTenant, runtime: RuntimeDep) -> OrderOut:
    """A new order with a checkout of its own; paying it provisions this order only."""
    order = service.place(runtime, claims.tenant_id, body.plan)
    return _one(runtime, claims.tenant_id, order.id)


@tenant_api.get("", response_model=OrderPage)
def my_orders(claims: CurrentTenant, runtime: RuntimeDep) -> OrderPage:
    """The caller's orders and their status, and nobody else's."""
    with runtime.db.read() as session:
        return OrderPage(
            items=[OrderOut(**asdict(v)) for v in service.views(session, claims.tenant_id)]
        )


@tenant_api.post("/{order_id}/cancel", response_model=OrderOut)
def cancel(order_id: str, claims: CurrentTenant, runtime: RuntimeDep) -> OrderOut:
    """Deprovision this order's server only; 404 for an order that is not the caller's."""
    with runtime.db.transaction() as session:
        service.cancel(session, runtime, claims.tenant_id, order_id[:40])
    return _one(runtime, claims.tenant_id, order_id[:40])
