"""API shapes of the inbox."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from steward.inbox.models import EventStatus


class WebhookAck(BaseModel):
    received: bool
    duplicate: bool


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    external_id: str
    type: str
    status: EventStatus
    tenant_id: str | None
    attempts: int
    deliveries: int
    replays: int
    received_at: datetime
    provider_created_at: datetime | None
    next_attempt_at: datetime
    processed_at: datetime | None
    last_error: str | None


class EventDetail(EventOut):
    traceback: str | None
    payload: str


class EventPage(BaseModel):
    items: list[EventOut]
    total: int
    shown: int
    limit: int
    offset: int
