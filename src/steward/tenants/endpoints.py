"""Admin API over tenants."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from steward.api.deps import Actor, CurrentTenant, RuntimeDep
from steward.flags.endpoints import require_signups
from steward.subscriptions import activation
from steward.tenants import repository as repo
from steward.tenants import service
from steward.tenants.schemas import (
    ActivatedOut,
    ActivateIn,
    TenantCreate,
    TenantDetail,
    TenantOut,
    TenantToken,
    TimelineOut,
)

admin = APIRouter(prefix="/admin/api/tenants", tags=["admin: tenants"])
tenant_api = APIRouter(prefix="/api/v1", tags=["tenant API"])


@admin.post("", response_model=TenantOut, status_code=201, dependencies=[Depends(require_signups)])
def create_tenant(body: TenantCreate, runtime: RuntimeDep, _admin: Actor) -> TenantOut:
    """Sign a tenant up; 503 ``signups_disabled`` while the signups switch is off."""
    with runtime.db.transaction() as session:
        tenant = service.create(
            session,
            runtime.product,
            runtime.clock,
            service.NewTenant(email=body.email, name=body.name, phone=body.phone, plan=body.plan),
        )
        return TenantOut.model_validate(tenant)


@admin.get("/{tenant_id}", response_model=TenantDetail)
def get_tenant(tenant_id: str, runtime: RuntimeDep, _admin: Actor) -> TenantDetail:
    with runtime.db.read() as session:
        tenant = repo.get(session, tenant_id)
        timeline = [TimelineOut.model_validate(e) for e in repo.timeline(session, tenant_id)]
        return TenantDetail(**TenantOut.model_validate(tenant).model_dump(), timeline=timeline)


@admin.post("/{tenant_id}/activate", response_model=ActivatedOut)
def activate(tenant_id: str, body: ActivateIn, runtime: RuntimeDep, actor: Actor) -> ActivatedOut:
    """Activate a tenant whose payment Stripe confirms but whose webhook never came (audited);
    409 ``payment_not_confirmed`` when Stripe shows no payment. The late webhook is a no-op."""
    done = activation.activate(
        runtime, tenant_id, reference=body.stripe_reference, reason=body.reason, actor=actor
    )
    return ActivatedOut(
        tenant_id=done.tenant_id,
        billing_status=done.status,
        stripe_subscription_id=done.subscription,
        stripe_customer_id=done.customer,
    )


@admin.post("/{tenant_id}/token", response_model=TenantToken, status_code=201)
def issue_token(tenant_id: str, runtime: RuntimeDep, _admin: Actor) -> TenantToken:
    """A short-lived tenant token, e.g. for a signup flow's next step."""
    with runtime.db.read() as session:
        repo.get(session, tenant_id)
    token = runtime.tokens.issue(tenant_id)
    return TenantToken(token=token, expires_in=runtime.settings.tenant_token_ttl_seconds)


@tenant_api.get("/me", response_model=TenantOut)
def me(claims: CurrentTenant, runtime: RuntimeDep) -> TenantOut:
    """The calling tenant, as the token names it."""
    with runtime.db.read() as session:
        return TenantOut.model_validate(repo.get(session, claims.tenant_id))
