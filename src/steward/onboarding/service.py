"""The onboarding machine: one conversation per tenant walks its product's flow.

Each move is the guarded ``UPDATE … WHERE state IN (sources)`` of ``repository.move``: a move
that no longer applies (a duplicate or late delivery) matches no row and changes nothing; a move
the table or a guard forbids raises a stable 409 error. Every move is recorded with its cause.
Services take the caller's session; they never commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from steward.errors import Conflict, NotFound
from steward.flows import Accepted, Entered, Facts, Flow, Reply, State
from steward.onboarding import repository as repo
from steward.onboarding.models import (
    Conversation,
    ConversationStatus,
    FactKind,
    Transition,
    Turn,
)
from steward.runtime import Runtime
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from steward.tenants.models import PaymentStatus

# Sends one message over a channel in the caller's transaction, at most once per key.
Sender = Callable[[Session, Runtime, str, str, str, str], None]  # (…, tenant, to, body, key)


class TransitionRefused(Conflict):
    """The onboarding flow does not allow this move from the conversation's state."""

    code = "onboarding_transition_refused"


class GuardRefused(Conflict):
    """A prerequisite of the onboarding state does not hold yet."""

    code = "onboarding_guard_refused"


@dataclass(frozen=True)
class Step:
    conversation: Conversation
    replies: tuple[str, ...]


class Onboarding:
    def __init__(self, runtime: Runtime, flow: Flow) -> None:
        self.runtime, self.flow = runtime, flow
        self.senders: dict[str, Sender] = {}

    # -- facts -----------------------------------------------------------------------------------
    def facts(self, session: Session, conv: Conversation) -> Facts:
        answers: dict[str, str] = {}
        signals: dict[str, str] = {}
        for f in repo.facts(session, conv.id):
            (answers if f.kind is FactKind.ANSWER else signals)[f.name] = f.value
        tenant = tenants_repo.get(session, conv.tenant_id)
        return Facts(answers, signals, tenant.payment_status is PaymentStatus.ACTIVE)

    def live(self, session: Session, tenant_id: str) -> bool:
        """The SystemGate: the tenant's service runs only once onboarding is complete and paid."""
        conv = repo.by_tenant(session, tenant_id)
        if conv is None:
            return False
        return conv.status is ConversationStatus.LIVE and self.facts(session, conv).paid

    # -- entry points ------------------------------------------------------------------------------
    def start(
        self, session: Session, *, tenant_id: str, channel: str, address: str, cause: str
    ) -> Conversation:
        now = self.runtime.clock.now()
        first = self.flow.first
        conv = repo.add(
            session,
            Conversation(
                tenant_id=tenant_id, flow=self.flow.name, channel=channel, address=address,
                status=ConversationStatus.ONBOARDING, state=first.key, state_entered_at=now,
                clock_at=now, created_at=now,
            ),
        )  # fmt: skip
        repo.record(session, Transition(conversation_id=conv.id, from_state=None,
                                        to_state=first.key, cause=cause, at=now))  # fmt: skip
        facts = self.facts(session, conv)
        self._say(session, conv, "prompt", first, facts, first.prompt(facts), cause)
        return conv

    def heard(self, session: Session, conv: Conversation, text: str, cause: str) -> None:
        """The customer said ``text``: store a valid answer and move on, or ask again."""
        now = self.runtime.clock.now()
        repo.record(session, Turn(conversation_id=conv.id, direction="in", body=text,
                                  state=conv.state, at=now))  # fmt: skip
        state = self.flow.state(conv.state)
        facts = self.facts(session, conv)
        if state.final:
            self._say(session, conv, "live", state, facts, state.prompt(facts), cause, text)
            return
        if state.waits_for is not None or state.accept is None or state.answer is None:
            message = state.waiting or state.prompt(facts)
            self._say(session, conv, "waiting", state, facts, message, cause, text)
            return
        verdict = state.accept(text)
        if not isinstance(verdict, Accepted):
            self._say(session, conv, "reask", state, facts, verdict.message, cause, text)
            return
        repo.put_fact(session, conv.id, FactKind.ANSWER, state.answer, verdict.value, now)
        column = self.flow.tenant_fields.get(state.answer)
        if column is not None:
            tenant = tenants_repo.get(session, conv.tenant_id, for_update=True)
            setattr(tenant, column, verdict.value)
            tenant.updated_at = now
        self._forward(session, conv, cause)

    def signal(self, session: Session, tenant_id: str, name: str, value: str, cause: str) -> bool:
        """Another system saw ``name`` (paid, number, test_call): record it, move on if the
        conversation waits for it. False when the tenant has no conversation."""
        conv = repo.by_tenant(session, tenant_id, for_update=True)
        if conv is None:
            return False
        seen = {f.name for f in repo.facts(session, conv.id) if f.kind is FactKind.SIGNAL}
        if name not in seen:  # a fact is set once: a second delivery changes nothing
            repo.put_fact(session, conv.id, FactKind.SIGNAL, name, value, self.runtime.clock.now())
        if conv.status is ConversationStatus.ONBOARDING:
            self._forward(session, conv, cause)
        return True

    def advance(self, session: Session, tenant_id: str, target: str, cause: str) -> Conversation:
        """An explicit move (an operator, a wizard): refused unless the table and guards allow."""
        conv = repo.by_tenant(session, tenant_id, for_update=True)
        if conv is None:
            raise NotFound(f"tenant {tenant_id} has no onboarding conversation")
        self.flow.state(target)
        if target not in self.flow.transitions[conv.state]:
            raise TransitionRefused(
                f"onboarding cannot move from {conv.state} to {target}; "
                f"allowed: {', '.join(sorted(self.flow.transitions[conv.state])) or 'none'}",
                state=conv.state, target=target,
            )  # fmt: skip
        current, facts = self.flow.state(conv.state), self.facts(session, conv)
        self._check_guards(conv, self.flow.state(target), facts)
        if not self._satisfied(current, facts):
            missing = (
                f"answer {current.answer}" if current.answer else f"signal {current.waits_for}"
            )
            raise GuardRefused(
                f"onboarding cannot leave {conv.state} yet: the {missing} is missing",
                state=conv.state, target=target, guards=["state_satisfied"],
            )  # fmt: skip
        self._enter(session, conv, self.flow.state(target), facts, cause)
        return conv

    # -- moves -----------------------------------------------------------------------------------
    def _forward(self, session: Session, conv: Conversation, cause: str) -> None:
        """Move forward while the next state's guards hold and the current one is satisfied."""
        while True:
            state = self.flow.state(conv.state)
            nxt = self.flow.next(state.key)
            facts = self.facts(session, conv)
            if nxt is None or not self._satisfied(state, facts):
                return
            refused = [g for g in nxt.requires if not g.holds(facts)]
            if refused:
                return  # waits here; the missing fact arriving later moves it on
            self._enter(session, conv, nxt, facts, cause)

    @staticmethod
    def _satisfied(state: State, facts: Facts) -> bool:
        if state.answer is not None:
            return bool(facts.answers.get(state.answer))
        return state.waits_for is not None and bool(facts.signals.get(state.waits_for))

    @staticmethod
    def _check_guards(conv: Conversation, target: State, facts: Facts) -> None:
        refused = [g for g in target.requires if not g.holds(facts)]
        if refused:
            raise GuardRefused(
                f"onboarding cannot enter {target.key}: "
                + "; ".join(g.refusal for g in refused),
                state=conv.state, target=target.key, guards=[g.name for g in refused],
            )  # fmt: skip

    def _enter(
        self, session: Session, conv: Conversation, target: State, facts: Facts, cause: str
    ) -> None:
        self._check_guards(conv, target, facts)
        before, now = conv.state, self.runtime.clock.now()
        if not repo.move(session, conv.id, self.flow.sources(target.key), target.key, now,
                         live=target.final):  # fmt: skip
            raise TransitionRefused(
                f"onboarding is no longer in a state that leads to {target.key}"
            )
        session.refresh(conv)
        repo.record(session, Transition(conversation_id=conv.id, from_state=before,
                                        to_state=target.key, cause=cause, at=now))  # fmt: skip
        tenant = tenants_repo.get(session, conv.tenant_id)
        tenants.note(session, tenant, now, "onboarding", f"onboarding {before} → {target.key}")
        if target.on_enter is not None:
            found = target.on_enter(
                Entered(session, self.runtime, conv.tenant_id, conv.address, facts,
                        f"onboarding:{conv.id}:{target.key}")
            )  # fmt: skip
            for name, value in found.items():
                repo.put_fact(session, conv.id, FactKind.SIGNAL, name, value, now)
            facts = self.facts(session, conv)
        self._say(session, conv, "prompt", target, facts, target.prompt(facts), cause)

    def _say(
        self,
        session: Session,
        conv: Conversation,
        kind: str,
        state: State,
        facts: Facts,
        message: str,
        cause: str,
        heard: str = "",
    ) -> None:
        body = self.flow.replies(Reply(kind, state.key, facts, message, heard))
        now = self.runtime.clock.now()
        turn = Turn(conversation_id=conv.id, direction="out", body=body, state=state.key, at=now)
        repo.record(session, turn)
        sender = self.senders.get(conv.channel)
        if sender is not None:
            key = f"onboarding:{conv.id}:{cause}:{kind}:{state.key}"
            sender(session, self.runtime, conv.tenant_id, conv.address, body, key)

    def restart_clock(self, session: Session, tenant_id: str) -> None:
        repo.restart_clock(session, tenant_id, self.runtime.clock.now())
