"""Onboarding over HTTP: the admin view of a conversation, an operator's guarded move, and the
tenant's own gate (is my service live?)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from steward.api.deps import Actor, CurrentTenant, RuntimeDep
from steward.audit import service as audit
from steward.errors import NotFound
from steward.onboarding import repository as repo
from steward.onboarding.models import FactKind
from steward.onboarding.schemas import AdvanceIn, GateOut, OnboardingOut, TransitionOut, TurnOut
from steward.onboarding.service import Onboarding
from steward.runtime import Runtime

admin = APIRouter(prefix="/admin/api/onboarding", tags=["admin: onboarding"])
tenant_api = APIRouter(prefix="/api/v1", tags=["tenant API"])


def view(session: Session, runtime: Runtime, tenant_id: str) -> OnboardingOut:
    conv = repo.by_tenant(session, tenant_id)
    if conv is None:
        raise NotFound(f"tenant {tenant_id} has no onboarding conversation")
    onboarding = runtime.service(Onboarding)
    facts = repo.facts(session, conv.id)
    return OnboardingOut(
        tenant_id=tenant_id,
        flow=conv.flow,
        channel=conv.channel,
        status=conv.status.value,
        state=conv.state,
        state_entered_at=conv.state_entered_at,
        live=onboarding.live(session, tenant_id),
        answers={f.name: f.value for f in facts if f.kind is FactKind.ANSWER},
        signals={f.name: f.value for f in facts if f.kind is FactKind.SIGNAL},
        transitions=[TransitionOut.model_validate(t) for t in repo.transitions(session, conv.id)],
        turns=[TurnOut.model_validate(t) for t in repo.turns(session, conv.id)],
    )


@admin.get("/{tenant_id}", response_model=OnboardingOut)
def get_onboarding(tenant_id: str, runtime: RuntimeDep, _admin: Actor) -> OnboardingOut:
    with runtime.db.read() as session:
        return view(session, runtime, tenant_id)


@admin.post("/{tenant_id}/advance", response_model=OnboardingOut)
def advance(tenant_id: str, body: AdvanceIn, runtime: RuntimeDep, actor: Actor) -> OnboardingOut:
    """Move the conversation to the next state by hand; 409 ``onboarding_guard_refused`` or
    ``onboarding_transition_refused`` when the flow does not allow it yet."""
    with runtime.db.transaction() as session:
        conv = runtime.service(Onboarding).advance(session, tenant_id, body.to, f"operator:{actor}")
        audit.record(
            session,
            runtime.clock.now(),
            actor=actor,
            action="onboarding.advance",
            target=f"tenant:{tenant_id}",
            after={"state": conv.state, "reason": body.reason},
        )
    with runtime.db.read() as session:
        return view(session, runtime, tenant_id)


@tenant_api.get("/onboarding", response_model=GateOut)
def my_gate(claims: CurrentTenant, runtime: RuntimeDep) -> GateOut:
    with runtime.db.read() as session:
        conv = repo.by_tenant(session, claims.tenant_id)
        live = runtime.service(Onboarding).live(session, claims.tenant_id)
        return GateOut(tenant_id=claims.tenant_id, state=conv.state if conv else None, live=live)
