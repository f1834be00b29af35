"""What the provisioning API shows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    name: str
    state: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    output: Any = None
    error: str | None

    @field_validator("output", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    tenant_id: str
    plan: str
    kind: str
    generation: int
    state: str
    reason: str | None
    workflow_id: str
    retries: int
    dry_run: bool
    waiting_on: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunDetail(RunOut):
    steps: list[StepOut]


class RunPage(BaseModel):
    items: list[RunOut]
    total: int


class TenantStatus(BaseModel):
    """The tenant's own provisioning, for polling during signup."""

    state: str  # "none" before the first run
    reason: str | None = None
    runs: list[RunDetail] = Field(default_factory=list)


class PoolAdd(BaseModel):
    values: list[str] = Field(min_length=1, max_length=10_000)
    low_watermark: int | None = Field(default=None, ge=0)


class PoolOut(BaseModel):
    pool: str
    total: int
    free: int
    low_watermark: int
    woken: int = 0


class RunStart(BaseModel):
    tenant_id: str
    plan: str | None = None  # the tenant's plan when omitted
    dry_run: bool = False


class InputIn(BaseModel):
    value: str = Field(min_length=1, max_length=2000)
