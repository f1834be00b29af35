"""API shapes of alerts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from steward.alerts.models import AlertStatus


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule: str
    resource_id: str
    tenant_id: str | None
    severity: str
    status: AlertStatus
    title: str
    message: str
    first_seen_at: datetime
    last_seen_at: datetime
    occurrences: int
    notified_at: datetime | None
    notifications: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int  # exact up to total_cap, then total_cap + 1
    total_capped: bool
    shown: int
    limit: int
    offset: int


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    message: str
    actor: str


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    notification: str
    channel: str
    attempt: int
    ok: bool
    error: str
    at: datetime


class AlertDetail(AlertOut):
    history: list[HistoryOut]
    deliveries: list[DeliveryOut]


class MuteIn(BaseModel):
    muted: bool = True
    minutes: int | None = Field(
        default=None, gt=0, description="mute for this long; none: until unmuted"
    )
    until: datetime | None = None
    reason: str = Field(default="", max_length=500)


class MuteOut(BaseModel):
    tenant_id: str
    muted: bool
    until: datetime | None
    reason: str


class ResetOut(BaseModel):
    tenant_id: str
    resolved_alerts: list[int]


class SweepOut(BaseModel):
    rules: int
    matched: int
    opened: int
    notified: int
    escalated: int
    resolved: int
    muted: int
    failed_rules: list[str]
    seconds: float
