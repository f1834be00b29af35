"""The messaging admin API's shapes. Bodies are never returned: only their hash and length."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SendIn(BaseModel):
    to: str = Field(min_length=3, max_length=32)
    body: str = Field(min_length=1, max_length=1600)
    purpose: str = Field(default="operator", min_length=1, max_length=64)
    key: str = Field(min_length=1, max_length=200)
    tenant_id: str | None = None


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str | None
    direction: str
    purpose: str
    to_number: str
    from_number: str
    body_hash: str
    twilio_sid: str | None
    status: str
    error_code: int | None
    error: str | None
    idempotency_key: str
    created_at: datetime
    updated_at: datetime


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    cause: str
    at: datetime


class MessageDetail(MessageOut):
    transitions: list[TransitionOut]


class MessagePage(BaseModel):
    items: list[MessageOut]


class OptOutOut(BaseModel):
    phone: str
    opted_out: bool
