"""Admin API over tenants."""

from __future__ import annotations

from fastapi import APIRouter

from steward.api.deps import Admin, StewardDep
from steward.tenants import repository as repo
from steward.tenants import service
from steward.tenants.schemas import TenantCreate, TenantDetail, TenantOut, TimelineOut

admin = APIRouter(prefix="/admin/api/tenants", tags=["admin: tenants"])


@admin.post("", response_model=TenantOut, status_code=201)
def create_tenant(body: TenantCreate, steward: StewardDep, _admin: Admin) -> TenantOut:
    with steward.db.transaction() as session:
        tenant = service.create(
            session,
            steward.product,
            steward.clock,
            service.NewTenant(email=body.email, name=body.name, phone=body.phone, plan=body.plan),
        )
        return TenantOut.model_validate(tenant)


@admin.get("/{tenant_id}", response_model=TenantDetail)
def get_tenant(tenant_id: str, steward: StewardDep, _admin: Admin) -> TenantDetail:
    with steward.db.read() as session:
        tenant = repo.get(session, tenant_id)
        timeline = [TimelineOut.model_validate(e) for e in repo.timeline(session, tenant_id)]
        return TenantDetail(**TenantOut.model_validate(tenant).model_dump(), timeline=timeline)
