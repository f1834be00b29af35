"""How an onboarding flow is declared: ordered states, what each asks and accepts, the guards
that must hold to enter it, and how long a customer may stay in it.

    Flow(
        name="signup",
        states=(
            State("S1_NAME", asks="What is your business called?", answer="business_name",
                  accept=text(2, 100)),
            State("S2_PAY", asks="Pay here: {payment_link}", waits_for="paid",
                  requires=(DETAILS,), max_dwell=timedelta(hours=2)),
            State("LIVE", asks="You are live.", final=True, requires=(PAID,)),
        ),
    )

A state either takes an answer (``answer`` names the fact, ``accept`` validates it) or waits for a
signal (``waits_for``: an outside fact such as a payment or a test call, recorded by the
domain that sees it). The flow moves one state forward at a time; a state is entered only when
all its ``requires`` guards hold, so a skipped step is refused. Nothing here knows a channel: the
same flow drives an SMS conversation or a web wizard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from steward.config import Settings
from steward.errors import ConfigError, InvalidInput
from steward.kit.clock import Clock
from steward.kit.phone import to_e164
from steward.providers.stripe.gateway import StripeGateway

if TYPE_CHECKING:  # type-only: the product holds its flow
    from steward.product import Product


@dataclass(frozen=True)
class Facts:
    """What guards and prompts see of one conversation."""

    answers: Mapping[str, str]  # validated answers by name
    signals: Mapping[str, str]  # outside facts by name (e.g. "paid", "number", "test_call")
    paid: bool  # the tenant's payment is active


@dataclass(frozen=True)
class Accepted:
    value: str  # normalized


@dataclass(frozen=True)
class Reask:
    message: str  # what to tell the customer, who stays in the state


Validator = Callable[[str], "Accepted | Reask"]


class EnterRuntime(Protocol):
    """What a state's ``on_enter`` may use of the running Steward (a Runtime is one)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def stripe(self) -> StripeGateway: ...
    @property
    def product(self) -> Product: ...


@dataclass(frozen=True)
class Entered:
    """Given to ``on_enter``, in the transaction that enters the state."""

    session: Session
    runtime: EnterRuntime
    tenant_id: str
    address: str  # where the conversation happens (E.164 for SMS)
    facts: Facts
    idempotency_key: str  # stable for this conversation and state


OnEnter = Callable[[Entered], Mapping[str, str]]  # returns signals to record (a payment link)


@dataclass(frozen=True)
class Reply:
    """What the flow wants to say; ``message`` is the rule-based wording."""

    kind: str  # "prompt", "reask", "waiting", "live"
    state: str
    facts: Facts
    message: str
    heard: str = ""  # what the customer said, when replying to it


def rule_based(reply: Reply) -> str:
    return reply.message


@dataclass(frozen=True)
class Guard:
    name: str
    holds: Callable[[Facts], bool]
    refusal: str  # why the state cannot be entered yet


@dataclass(frozen=True)
class State:
    key: str
    asks: str  # the prompt; ``{name}`` is filled from answers and signals
    answer: str | None = None  # the fact this state's answer is stored as
    accept: Validator | None = None
    waits_for: str | None = None  # a signal that moves the flow on instead of an answer
    requires: tuple[Guard, ...] = ()  # must all hold to enter this state
    max_dwell: timedelta | None = None  # longer than this here: the customer is stuck
    final: bool = False  # the flow is complete (live) here
    on_enter: OnEnter | None = None  # a side effect on entry, e.g. texting a payment link
    waiting: str = ""  # said when the customer writes while the state waits for its signal

    def prompt(self, facts: Facts) -> str:
        values = {**facts.signals, **facts.answers}
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), self.asks)


@dataclass(frozen=True)
class Flow:
    name: str
    states: tuple[State, ...]
    replies: Callable[[Reply], str] = rule_based  # pluggable wording (a language model later)
    entry: tuple[str, ...] = ()  # the product's own addresses: a call or text to one starts it
    tenant_fields: Mapping[str, str] = field(default_factory=dict)  # answer -> "name" | "email"

    def __post_init__(self) -> None:
        keys = [s.key for s in self.states]
        if len(keys) < 2 or len(set(keys)) != len(keys):
            raise ConfigError(f"flow {self.name}: declare at least two states with unique keys")
        if not self.states[-1].final or any(s.final for s in self.states[:-1]):
            raise ConfigError(f"flow {self.name}: the last state, and only it, is final")
        for s in self.states[:-1]:
            if (s.answer is None) == (s.waits_for is None):
                raise ConfigError(f"state {s.key}: takes either an answer or a signal, not both")
            if s.answer is not None and s.accept is None:
                raise ConfigError(f"state {s.key}: an answer needs a validator (accept)")
        if set(self.tenant_fields.values()) - {"name", "email"}:
            raise ConfigError(f"flow {self.name}: tenant_fields may set only name and email")

    @property
    def first(self) -> State:
        return self.states[0]

    def state(self, key: str) -> State:
        for s in self.states:
            if s.key == key:
                return s
        raise InvalidInput(f"flow {self.name} has no state {key!r}", field="state")

    def next(self, key: str) -> State | None:
        keys = [s.key for s in self.states]
        i = keys.index(self.state(key).key)
        return self.states[i + 1] if i + 1 < len(keys) else None

    @property
    def transitions(self) -> dict[str, frozenset[str]]:
        """Each state to the states it may move to: the next one only."""
        return {
            a.key: frozenset({b.key}) for a, b in zip(self.states, self.states[1:], strict=False)
        } | {self.states[-1].key: frozenset()}

    def sources(self, key: str) -> tuple[str, ...]:
        return tuple(a for a, bs in self.transitions.items() if key in bs)


# -- validators ------------------------------------------------------------------------------
def text(min_len: int, max_len: int, what: str = "answer") -> Validator:
    def accept(raw: str) -> Accepted | Reask:
        value = " ".join(raw.split())
        if len(value) < min_len:
            return Reask(f"That {what} looks too short; please send at least {min_len} letters.")
        if len(value) > max_len:
            return Reask(f"Please keep the {what} under {max_len} characters.")
        return Accepted(value)

    return accept


def choice(options: Mapping[str, str], what: str = "answer") -> Validator:
    """``options`` maps what a customer may type (lower case) to the stored value."""

    def accept(raw: str) -> Accepted | Reask:
        value = options.get(" ".join(raw.lower().split()))
        if value is None:
            shown = ", ".join(sorted(set(options.values())))
            return Reask(f"Sorry, I didn't catch the {what}. Reply one of: {shown}.")
        return Accepted(value)

    return accept


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email(raw: str) -> Accepted | Reask:
    value = raw.strip().lower()
    if not _EMAIL.match(value):
        return Reask(
            "That doesn't look like an email address; please send one like name@example.com."
        )
    return Accepted(value)


def phone(region: str) -> Validator:
    def accept(raw: str) -> Accepted | Reask:
        try:
            return Accepted(to_e164(raw, region))
        except InvalidInput:
            return Reask(
                "That doesn't look like a phone number; please send it with its area code."
            )

    return accept


def answered(*names: str) -> Guard:
    return Guard(
        "details_complete",
        lambda f: all(f.answers.get(n) for n in names),
        "the details are not complete: " + ", ".join(names),
    )


def signalled(name: str, refusal: str) -> Guard:
    return Guard(name, lambda f: bool(f.signals.get(name)), refusal)


PAID = Guard("payment_active", lambda f: f.paid, "the payment is not active")
