"""API shapes of tenants."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from steward.tenants.models import BillingStatus, PaymentStatus


class TenantCreate(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    plan: str | None = None


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    phone: str | None
    plan: str
    payment_status: PaymentStatus
    billing_status: BillingStatus
    trial_ends_at: datetime | None
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    activated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TimelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    message: str
    event_id: int | None


class TenantDetail(TenantOut):
    timeline: list[TimelineOut]


class TenantToken(BaseModel):
    token: str
    expires_in: int
    token_type: str = "Bearer"


class ActivateIn(BaseModel):
    reason: str = Field(min_length=3, max_length=500)  # why, for the audit log
    stripe_reference: str | None = Field(default=None, max_length=255)  # cs_… or sub_…


class ActivatedOut(BaseModel):
    tenant_id: str
    billing_status: str
    stripe_subscription_id: str
    stripe_customer_id: str | None
