"""API shapes of subscriptions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CheckoutRequest(BaseModel):
    plan: str | None = Field(
        default=None, description="Plan key; the product's first plan if omitted"
    )


class CheckoutOut(BaseModel):
    url: str
    session_id: str
    plan: str
    trial_days: int
    reused: bool
    trial_refusal: str | None = None


class CancelOut(BaseModel):
    subscription: str
    mode: str
    effective_at: datetime | None


class PortalRequest(BaseModel):
    return_url: str | None = None


class PortalOut(BaseModel):
    url: str


class EntitlementsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tenant_id: str
    plan: str | None
    status: str
    access: str
    trial_ends_at: datetime | None
    grace_ends_at: datetime | None
    cancel_at_period_end: bool
    current_period_end: datetime | None


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str
    to_status: str
    cause: str
    reason: str
    at: datetime


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    plan: str
    status: str
    stripe_subscription_id: str | None
    trial_end: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    past_due_since: datetime | None
    suspended_at: datetime | None
    transitions: list[TransitionOut] = []


class SyncRequest(BaseModel):
    since: str = Field(default="3d", description="How far back, e.g. 3d, 12h, 90m")


class SyncOut(BaseModel):
    seen: int
    ingested: int
    since: int
    cursor: int
