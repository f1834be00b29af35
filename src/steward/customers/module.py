"""Customers: magic links, sessions, sign-in rate limits."""

from __future__ import annotations

from steward.customers import endpoints, pages, web
from steward.module import Module

MODULE = Module(
    name="customers",
    routers=(endpoints.public, endpoints.tenant_api),
    pages=(pages.router,),
    tables=("magic_links", "customer_sessions"),
    mount=web.mount,
    headers={"/account": web.HEADERS, "/signup": web.HEADERS},
)
