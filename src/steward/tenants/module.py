"""Tenants: the customers of the product Steward runs."""

from __future__ import annotations

from steward.module import Module
from steward.tenants import endpoints, repository

MODULE = Module(
    name="tenants",
    routers=(endpoints.admin, endpoints.tenant_api),
    tables=("tenants",),
    delete_tenant=repository.delete_tenant,
)
