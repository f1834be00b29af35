"""Admin API over kill switches."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from steward.api.deps import Actor, RuntimeDep
from steward.errors import StewardError
from steward.flags.models import FailureMode
from steward.flags.service import FlagState

admin = APIRouter(prefix="/admin/api/flags", tags=["admin: kill switches"])


class SignupsDisabled(StewardError):
    """Signups are switched off; try again later."""

    code = "signups_disabled"
    http_status = 503


class FlagOut(BaseModel):
    name: str
    enabled: bool
    description: str
    failure_mode: FailureMode
    reason: str
    updated_by: str


class FlagIn(BaseModel):
    enabled: bool
    reason: str = Field(default="", max_length=500)


def _out(state: FlagState) -> FlagOut:
    return FlagOut(**state.__dict__)


@admin.get("", response_model=list[FlagOut])
def list_flags(runtime: RuntimeDep, _actor: Actor) -> list[FlagOut]:
    return [_out(s) for s in runtime.flags.states()]


@admin.put("/{name}", response_model=FlagOut)
def set_flag(name: str, body: FlagIn, runtime: RuntimeDep, actor: Actor) -> FlagOut:
    with runtime.db.transaction() as session:
        state = runtime.flags.change(session, name, body.enabled, actor=actor, reason=body.reason)
    return _out(state)


def require_signups(runtime: RuntimeDep) -> None:
    """A dependency for signup endpoints: 503 ``signups_disabled`` when the switch is off."""
    if not runtime.flags.enabled("signups"):
        raise SignupsDisabled()
