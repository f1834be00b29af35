"""Run checks in parallel, each in a thread of its own with a deadline. A check that raises or
misses its deadline is a failure with the reason as its evidence, never a pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from steward.checks import Check, Finding, Probe, Severity
from steward.errors import ConfigError
from steward.preflight import config_checks, http_checks, journey, state_checks, stripe_checks

BUILTIN: tuple[Check, ...] = (
    *config_checks.CHECKS,
    *state_checks.CHECKS,
    *stripe_checks.CHECKS,
    *http_checks.CHECKS,
    *journey.CHECKS,
)


@dataclass(frozen=True)
class Result:
    id: str
    seed_item: str
    severity: Severity
    ok: bool
    evidence: str
    fix: str
    started_at: datetime
    seconds: float

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "seed_item": self.seed_item,
            "severity": self.severity.value,
            "ok": self.ok,
            "evidence": self.evidence,
            "fix": self.fix,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Report:
    environment: str
    target: str
    results: list[Result]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results if r.severity is Severity.REQUIRED)

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "environment": self.environment,
            "target": self.target,
            "checks": [r.as_json() for r in self.results],
        }


def select(
    checks: Sequence[Check], only: Sequence[str] = (), remote_only: bool = False
) -> list[Check]:
    ids = [c.id for c in checks]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise ConfigError(f"preflight: check id declared twice: {', '.join(repeated)}")
    unknown = [i for i in only if i not in ids]
    if unknown:
        raise ConfigError(f"--only: unknown check {', '.join(unknown)}; known: {', '.join(ids)}")
    chosen = [c for c in checks if not only or c.id in only]
    return [c for c in chosen if c.remote or not remote_only]


def _one(check: Check, probe: Probe, slot: list[Finding]) -> None:
    try:
        finding = check.run(probe)
        if not isinstance(finding, Finding):
            raise TypeError(f"returned {type(finding).__name__}, not a Finding")
        slot.append(finding)
    except Exception as exc:
        text = f"could not run: {type(exc).__name__}: {exc}"[:600]
        slot.append(Finding(False, text, "make the check runnable (see the error), then rerun"))


def run(checks: Sequence[Check], probe: Probe) -> Report:
    started: list[tuple[Check, threading.Thread, list[Finding], datetime, float]] = []
    for check in checks:
        slot: list[Finding] = []
        thread = threading.Thread(
            target=_one, args=(check, probe, slot), name=f"preflight-{check.id}", daemon=True
        )
        started.append((check, thread, slot, datetime.now(UTC), time.monotonic()))
        thread.start()
    results = []
    for check, thread, slot, at, t0 in started:
        limit = check.timeout if check.timeout is not None else probe.timeout
        thread.join(max(0.0, t0 + limit - time.monotonic()))
        if slot:
            finding = slot[0]
        else:
            finding = Finding(
                False,
                f"could not run: no answer within {limit:.0f} s",
                "find what the check waits on (network, lock), then rerun",
            )
        results.append(
            Result(
                check.id,
                check.seed_item,
                check.severity_in(probe.environment),
                finding.ok,
                finding.evidence,
                "" if finding.ok else finding.fix,
                at,
                time.monotonic() - t0,
            )
        )
    return Report(probe.environment, probe.target, results)
