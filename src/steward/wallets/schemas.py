"""The wallets API's shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    outcome: str
    amount: int
    requested: int
    balance_after: int | None
    idempotency_key: str
    description: str
    created_at: datetime


class RechargeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int
    status: str
    amount: int
    payment_intent_id: str | None
    reason: str
    created_at: datetime


class WalletOut(BaseModel):
    id: str
    tenant_id: str
    currency: str
    balance: int
    debt_limit: int
    available: int = Field(description="what may still be debited: balance + debt limit")
    blocked: bool = Field(description="true when nothing more can be debited")
    formatted_balance: str
    unpaid_usage: int
    unpaid_amount: int
    auto_recharge: dict[str, object]
    entries: list[EntryOut]
    recharges: list[RechargeOut] = []


class WalletsOut(BaseModel):
    tenant_id: str
    wallets: list[WalletOut]


class AdjustIn(BaseModel):
    amount: int = Field(description="signed minor units: positive credits, negative debits")
    currency: str = Field(min_length=3, max_length=3)
    reason: str = Field(min_length=1, max_length=400)
    idempotency_key: str = Field(min_length=1, max_length=150)
    kind: str = Field(default="adjustment", pattern="^(adjustment|refund|expiry)$")


class PostingOut(BaseModel):
    entry_id: int
    wallet_id: str
    outcome: str
    amount: int
    balance: int
    debt_limit: int
    replayed: bool


class AutoRechargeIn(BaseModel):
    currency: str = Field(min_length=3, max_length=3)
    threshold: int | None = Field(default=None, description="recharge when the balance is below")
    amount: int | None = Field(default=None, gt=0)
    stripe_customer_id: str | None = None
    stripe_payment_method: str | None = None


class TopUpIn(BaseModel):
    currency: str = Field(min_length=3, max_length=3)
    amount: int = Field(gt=0)
    idempotency_key: str = Field(min_length=1, max_length=150)


class TopUpOut(BaseModel):
    checkout_session_id: str
    url: str


class UsageIn(BaseModel):
    meter: str
    quantity: int = Field(ge=0)
    id: str = Field(
        min_length=1, max_length=200, description="your id of this usage: sent twice, debited once"
    )
    occurred_at: datetime | None = None


class UsageOut(BaseModel):
    usage_id: int
    status: str
    amount: int
    duplicate: bool
    balance: int | None


class ApiKeyOut(BaseModel):
    id: str
    tenant_id: str
    key: str = Field(description="shown once; store it now")


class RunIn(BaseModel):
    provider: str = "vapi"
    window_from: datetime = Field(alias="from")
    window_to: datetime = Field(alias="to")


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    provider: str
    window_from: datetime
    window_to: datetime
    status: str
    pages: int
    total: int | None
    calls_seen: int
    already_billed: int
    newly_billed: int
    unpaid: int
    amount_recovered: int
    unpriced: int
    unpriced_sample: str
    error: str | None
    started_at: datetime
    finished_at: datetime | None
