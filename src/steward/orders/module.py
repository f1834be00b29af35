"""Orders: several purchases per customer, each with its own provisioning run."""

from __future__ import annotations

from steward.module import Module
from steward.orders import endpoints, handlers

MODULE = Module(
    name="orders",
    routers=(endpoints.tenant_api,),
    handlers=handlers.ON,
    tables=("orders",),
)
