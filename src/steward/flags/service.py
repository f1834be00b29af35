"""Read and toggle kill switches.

``enabled(name)`` reads a per-process cache refreshed at most every ``ttl`` seconds (default 0.5),
so a toggle in one process is seen by all within a second. A flag has a declared failure mode:
if the database cannot be read, a fail-closed flag reads as off and a fail-open flag as on.
Declared flags start enabled; an unknown name is an error, not a silent yes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
import structlog

from steward.audit import service as audit
from steward.db import Database
from steward.errors import NotFound
from steward.flags.models import FailureMode, Flag
from steward.kit.clock import Clock

log = structlog.get_logger("steward.flags")


@dataclass(frozen=True)
class FlagSpec:
    name: str
    description: str
    failure_mode: FailureMode = FailureMode.CLOSED


BUILTIN = [
    FlagSpec("signups", "New tenants can sign up"),
    FlagSpec("checkout", "Checkout sessions can be opened"),
    FlagSpec("provisioning", "Provisioning runs may start and proceed"),
    FlagSpec("dunning", "Failed-payment recovery may contact customers"),
    FlagSpec("auto_recharge", "Wallets may be recharged automatically"),
    FlagSpec("number_purchases", "Steward may buy phone numbers to refill its pools"),
]


@dataclass(frozen=True)
class FlagState:
    name: str
    enabled: bool
    description: str
    failure_mode: FailureMode
    reason: str
    updated_by: str


class Flags:
    def __init__(self, db: Database, clock: Clock, specs: list[FlagSpec], ttl: float = 0.5) -> None:
        self.db, self.clock, self.ttl = db, clock, ttl
        self.specs = {s.name: s for s in specs}
        self._cache: dict[str, bool] = {}
        self._read_at = 0.0
        self._lock = threading.Lock()

    def _spec(self, name: str) -> FlagSpec:
        spec = self.specs.get(name)
        if spec is None:
            raise NotFound(f"no kill switch named {name!r}; known: {', '.join(sorted(self.specs))}")
        return spec

    def enabled(self, name: str) -> bool:
        spec = self._spec(name)
        with self._lock:
            if time.monotonic() - self._read_at > self.ttl:
                try:
                    with self.db.read() as session:
                        rows = session.execute(sa.select(Flag.name, Flag.enabled)).all()
                    self._cache = {n: e for n, e in rows}
                    self._read_at = time.monotonic()
                except Exception as exc:
                    log.error(
                        "flags.unreadable",
                        flag=name,
                        error=type(exc).__name__,
                        failure_mode=spec.failure_mode.value,
                    )
                    return spec.failure_mode is FailureMode.OPEN
            return self._cache.get(name, True)

    def states(self) -> list[FlagState]:
        with self.db.read() as session:
            rows = {f.name: f for f in session.execute(sa.select(Flag)).scalars()}
        return [
            FlagState(
                s.name,
                rows[s.name].enabled if s.name in rows else True,
                s.description,
                s.failure_mode,
                rows[s.name].reason if s.name in rows else "",
                rows[s.name].updated_by if s.name in rows else "",
            )
            for s in self.specs.values()
        ]

    def set(self, name: str, enabled: bool, *, actor: str, reason: str = "") -> FlagState:
        self._spec(name)
        now = self.clock.now()
        with self.db.transaction() as session:
            flag = session.get(Flag, name, with_for_update=True)
            before = {"enabled": flag.enabled if flag else True}
            if flag is None:
                session.add(
                    Flag(
                        name=name, enabled=enabled, reason=reason, updated_at=now, updated_by=actor
                    )
                )
            else:
                flag.enabled, flag.reason, flag.updated_at, flag.updated_by = (
                    enabled,
                    reason,
                    now,
                    actor,
                )
            audit.record(
                session,
                now,
                actor=actor,
                action="flag.set",
                target=f"flag:{name}",
                before=before,
                after={"enabled": enabled, "reason": reason},
            )
        with self._lock:
            self._read_at = 0.0  # this process sees its own change at once
        log.warning("flag.set", flag=name, enabled=enabled, actor=actor)
        return next(s for s in self.states() if s.name == name)
