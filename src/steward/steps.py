"""How provisioning is declared: a plan names an ordered list of ``Step``s.

    from steward.provisioning import Step, Retry

    def seed(ctx: StepContext) -> dict[str, object]:
        ...                               # idempotent: ctx.idempotency_key is stable
        return {"posts": 1}               # a small JSON summary, kept on the timeline

    Plan(key="starter", ..., provisioning=(Step("seed", seed, undo=unseed, timeout_seconds=10,
                                                 retry=Retry(attempts=3, backoff_seconds=1)),))

A step returns its output summary (a dict), or ``Wait(topic, timeout_seconds, reason)`` to make
the run wait durably for an outside signal (``DBOS.send(workflow_id, message, topic)``), after
which it runs again with the message in ``ctx.signals[topic]``. Raising ``PermanentStepError``
fails the run at once; any other exception is retried by the step's policy, then fails the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from steward.config import Settings
from steward.db import Database
from steward.errors import ConfigError, StewardError
from steward.events.bus import DomainEventBus
from steward.flags.service import Flags
from steward.kit.clock import Clock
from steward.providers.email import SmtpMailer


class StepRuntime(Protocol):
    """What a step may use of the running Steward (``steward.runtime.Runtime`` is one)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def bus(self) -> DomainEventBus: ...
    @property
    def flags(self) -> Flags: ...
    @property
    def mailer(self) -> SmtpMailer: ...


class PermanentStepError(StewardError):
    """The step cannot succeed as things are; retrying will not help."""

    code = "provisioning_step_permanent"
    http_status = 422


@dataclass(frozen=True)
class Retry:
    attempts: int = 3  # in all, the first included
    backoff_seconds: float = 1.0  # before the second attempt; doubled after each
    max_backoff_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError("Retry.attempts must be at least 1")

    def delay(self, attempt: int) -> float:
        """Seconds to sleep after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Wait:
    """Returned by a step: wait for ``topic`` up to ``timeout_seconds``, then run the step again."""

    topic: str
    timeout_seconds: float
    reason: str


@dataclass(frozen=True)
class TenantInfo:
    id: str
    email: str
    name: str
    phone: str | None
    plan: str  # the plan being provisioned


@dataclass
class StepContext:
    tenant: TenantInfo
    run_key: str  # the run's business key
    step: str
    idempotency_key: str  # the same on every attempt and after a crash or an operator retry
    outputs: Mapping[str, Any]  # earlier steps' outputs, by step name
    signals: Mapping[str, Any]  # messages received for Wait topics
    dry_run: bool
    runtime: StepRuntime
    output: dict[str, Any] = field(default_factory=dict)  # the step's own output (for undo)


StepFn = Callable[[StepContext], "dict[str, Any] | Wait | None"]
UndoFn = Callable[[StepContext], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Step:
    name: str
    run: StepFn
    undo: UndoFn | None = None  # run in reverse order when the tenant is deprovisioned
    timeout_seconds: float = 60.0  # an attempt running longer counts as failed
    retry: Retry = Retry()
    describe: str = ""  # what the step does, recorded instead of running it in a dry run
    touches_outside: bool = True  # False: safe to run for real in a dry run (local only)
    when: Callable[[StepRuntime], bool] | None = None  # False skips the step

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 100:
            raise ConfigError("a provisioning step needs a name of 1 to 100 characters")
        if self.timeout_seconds <= 0:
            raise ConfigError(f"step {self.name}: timeout_seconds must be positive")


def check_steps(plan_key: str, steps: tuple[Step, ...]) -> None:
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ConfigError(f"plan {plan_key}: provisioning step names must be unique")
