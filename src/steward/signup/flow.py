"""The wizard on the product's onboarding flow (steward.flows): one machinery, two channels.

When the product declares ``onboarding``, each wizard step is the flow state whose ``answer`` is
the step's name: the step's form (canonical JSON) must be accepted by that state's validator, and
the conversation must stand in that state, else the step is refused. Starting the wizard starts
the conversation on the ``web`` channel; a verified email is the ``email_verified`` signal; the
payment is the onboarding domain's own ``paid`` signal. Without a declared flow, the wizard's own
step list (``spec.STEPS``) alone decides."""

from __future__ import annotations

from sqlalchemy.orm import Session

from steward.errors import InvalidInput
from steward.flows import Reask, State
from steward.onboarding import repository as onboarding_repo
from steward.onboarding.service import Onboarding
from steward.runtime import Runtime

CHANNEL = "web"
EMAIL_VERIFIED = "email_verified"


class StepNotHere(InvalidInput):
    """The onboarding conversation is not at this step."""

    code = "invalid_token"
    http_status = 401


def _machine(runtime: Runtime) -> Onboarding | None:
    if runtime.product.onboarding is None:
        return None
    return runtime.service(Onboarding)


def _state_for(machine: Onboarding, step: str) -> State | None:
    return next((s for s in machine.flow.states if s.answer == step), None)


def _accept(state: State, answer: str) -> None:
    verdict = state.accept(answer) if state.accept else None
    if isinstance(verdict, Reask):
        raise InvalidInput(verdict.message, field=state.answer or "")


def answer(
    session: Session, runtime: Runtime, tenant_id: str, step: str, answer: str, address: str = ""
) -> None:
    """Give the flow the step's answer (starting the conversation at the first step)."""
    machine = _machine(runtime)
    if machine is None:
        return
    state = _state_for(machine, step)
    if state is None:
        return  # the flow asks nothing of this step
    _accept(state, answer)
    conv = onboarding_repo.by_tenant(session, tenant_id, for_update=True)
    if conv is None:
        conv = machine.start(
            session, tenant_id=tenant_id, channel=CHANNEL, address=address, cause=f"signup:{step}"
        )
    if conv.state != state.key:
        raise StepNotHere(f"onboarding is at {conv.state}, not at the {step} step")
    machine.heard(session, conv, answer, f"signup:{step}")


def verified(session: Session, runtime: Runtime, tenant_id: str, cause: str) -> None:
    machine = _machine(runtime)
    if machine is not None:
        machine.signal(session, tenant_id, EMAIL_VERIFIED, "true", cause)
