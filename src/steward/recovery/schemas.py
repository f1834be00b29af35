"""Request and response bodies of the recovery API. Input is strict: unknown fields, unbounded
strings and malformed ids are refused (422 ``invalid_input`` naming the field)."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from steward.recovery.models import CaseState

Channel = Literal["email", "push", "dm", "sms"]
CASE_ID = r"^rc_[0-9a-z]{26}$"
WhopCompanyId = Annotated[str, StringConstraints(pattern=r"^biz_[A-Za-z0-9]{1,60}$")]
WhopExperienceId = Annotated[str, StringConstraints(pattern=r"^exp_[A-Za-z0-9]{1,60}$")]
Coupon = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
MAX_OFFSET_DAYS = 60


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=255)


class SettingsIn(Strict):
    offsets_days: list[Annotated[int, Field(ge=0, le=MAX_OFFSET_DAYS)]] = Field(
        min_length=1, max_length=10
    )
    channels: list[Channel] = Field(min_length=1, max_length=4)
    incentive_days: int = Field(default=0, ge=0, le=365)
    incentive_coupon: Coupon | None = None
    attempts_before_cancel: int = Field(ge=1, le=10)
    final_action: Literal["cancel", "terminate"] = "cancel"
    quiet_start_hour: int | None = Field(default=None, ge=0, le=23)
    quiet_end_hour: int | None = Field(default=None, ge=0, le=23)
    whop_experience_id: WhopExperienceId | None = None

    @field_validator("offsets_days")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("offsets must be strictly increasing days after the failure")
        return value

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each channel once")
        return value


class SettingsOut(SettingsIn):
    company_id: str
    whop_company_id: str | None
    updated_at: datetime | None


class CompanyLink(Strict):
    whop_company_id: WhopCompanyId


class NudgeIn(Strict):
    channel: Channel


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    company_id: str
    provider: str
    membership_id: str
    user_id: str | None
    state: CaseState
    amount_due: int | None
    currency: str | None
    failure_message: str | None
    opened_at: datetime
    closed_at: datetime | None
    recovered_amount: int | None
    recovered_at: datetime | None
    attempts: int
    last_nudge_at: datetime | None
    incentive_applied: bool


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int
    limit: int
    offset: int


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: str | None
    to_state: str
    cause: str
    at: datetime


class ReminderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    due_at: datetime
    state: str
    tries: int
    sent_at: datetime | None
    last_error: str | None


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: str
    membership_id: str
    kind: str
    channel: str | None
    manual: bool
    actor: str
    template_version: str | None
    attempt: int | None
    at: datetime


class CaseDetail(CaseOut):
    transitions: list[TransitionOut]
    reminders: list[ReminderOut]
    actions: list[ActionOut]


class Kpis(BaseModel):
    company_id: str
    start: datetime
    end: datetime
    cases: int
    recovered: int
    recovery_rate: float | None  # recovered / cases opened in the period; None without cases
    recovered_revenue: int  # minor units, summed across currencies as stored
    median_seconds_to_recover: float | None
    open_cases: int
