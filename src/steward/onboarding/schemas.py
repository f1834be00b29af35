"""Onboarding's API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_state: str | None
    to_state: str
    cause: str
    at: datetime


class TurnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    direction: str
    body: str
    state: str
    at: datetime


class OnboardingOut(BaseModel):
    tenant_id: str
    flow: str
    channel: str
    status: str
    state: str
    state_entered_at: datetime
    live: bool  # the SystemGate: onboarding complete and payment active
    answers: dict[str, str]
    signals: dict[str, str]
    transitions: list[TransitionOut]
    turns: list[TurnOut]


class AdvanceIn(BaseModel):
    to: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=3, max_length=500)


class GateOut(BaseModel):
    tenant_id: str
    state: str | None
    live: bool
