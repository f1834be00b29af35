"""The cockpit: server-rendered pages over every domain, and the operator actions behind them."""

from __future__ import annotations

from steward.cockpit import admin_endpoints, pages, provisioning_pages, tenant_pages, web
from steward.module import Module

MODULE = Module(
    name="cockpit",
    routers=(admin_endpoints.admin,),
    pages=(pages.router, tenant_pages.router, provisioning_pages.router),
    tables=("operators", "operator_sessions"),
    mount=web.mount,
    headers={"/cockpit": web.HEADERS},
)
