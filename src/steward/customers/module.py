"""Customers: magic links, sessions, sign-in rate limits."""

from __future__ import annotations

from steward.customers import endpoints, ratelimit
from steward.module import Module

MODULE = Module(
    name="customers",
    routers=(endpoints.public, endpoints.tenant_api),
    tables=("magic_links", "customer_sessions"),
    mount=ratelimit.install,
)
