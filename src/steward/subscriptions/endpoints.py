"""The tenant's self-serve API and the admin API over subscriptions."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from steward.api.deps import Actor, CurrentTenant, RuntimeDep
from steward.errors import NotFound
from steward.subscriptions import checkout, service, sync
from steward.subscriptions import repository as repo
from steward.subscriptions.schemas import (
    CancelOut,
    CheckoutOut,
    CheckoutRequest,
    EntitlementsOut,
    PortalOut,
    PortalRequest,
    SubscriptionOut,
    SyncOut,
    SyncRequest,
    TransitionOut,
)

tenant_api = APIRouter(prefix="/api/v1", tags=["tenant API"])
admin = APIRouter(prefix="/admin/api", tags=["admin: subscriptions"])


@tenant_api.post("/checkout", response_model=CheckoutOut)
def tenant_checkout(
    body: CheckoutRequest, claims: CurrentTenant, runtime: RuntimeDep
) -> CheckoutOut:
    """The Stripe Checkout URL for a plan; asking again returns the same open session."""
    return CheckoutOut(**asdict(checkout.open_checkout(runtime, claims.tenant_id, body.plan)))


@tenant_api.post("/subscription/cancel", response_model=CancelOut)
def tenant_cancel(claims: CurrentTenant, runtime: RuntimeDep) -> CancelOut:
    return CancelOut(**asdict(service.cancel(runtime, claims.tenant_id)))


@tenant_api.post("/billing-portal", response_model=PortalOut)
def tenant_portal(body: PortalRequest, claims: CurrentTenant, runtime: RuntimeDep) -> PortalOut:
    return PortalOut(url=service.portal_url(runtime, claims.tenant_id, body.return_url))


@tenant_api.get("/entitlements", response_model=EntitlementsOut)
def tenant_entitlements(claims: CurrentTenant, runtime: RuntimeDep) -> EntitlementsOut:
    return EntitlementsOut.model_validate(service.entitlements(runtime, claims.tenant_id))


@admin.post("/tenants/{tenant_id}/checkout", response_model=CheckoutOut)
def admin_checkout(
    tenant_id: str, body: CheckoutRequest, runtime: RuntimeDep, _admin: Actor
) -> CheckoutOut:
    """For flows where the customer is not logged in (a payment link sent by SMS)."""
    return CheckoutOut(**asdict(checkout.open_checkout(runtime, tenant_id, body.plan)))


@admin.get("/tenants/{tenant_id}/subscription", response_model=SubscriptionOut)
def admin_subscription(tenant_id: str, runtime: RuntimeDep, _admin: Actor) -> SubscriptionOut:
    with runtime.db.read() as session:
        sub = repo.current_for(session, tenant_id)
        if sub is None:
            raise NotFound(f"tenant {tenant_id} has no subscription")
        out = SubscriptionOut.model_validate(sub)
        out.transitions = [
            TransitionOut.model_validate(t) for t in repo.transitions(session, sub.id)
        ]
        return out


@admin.post("/stripe/sync", response_model=SyncOut)
def admin_sync(body: SyncRequest, runtime: RuntimeDep, _admin: Actor) -> SyncOut:
    """Catch up on Stripe events the webhook endpoint never received."""
    return SyncOut(**asdict(sync.catch_up(runtime, sync.parse_since(body.since))))
