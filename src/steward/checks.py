"""A launch check: what it covers on the founder's checklist, how much it matters, and how it runs.

``steward preflight`` (``steward.preflight``) runs the built-in checks and the product's own
(``Product.preflight``). A check is a function from a ``Probe`` (the runtime, the deployment under
test and its admin token) to a ``Finding``: passed or not, what was read or done, and, when it
fails, the fix in one line. A check that raises or runs out of time is a failure, never a pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:  # type-only: the runtime holds the product, which declares these checks
    from steward.runtime import Runtime

ENVIRONMENTS = ("development", "production")


class Severity(StrEnum):
    REQUIRED = "required"  # a failure is a no-go
    ADVISORY = "advisory"  # shown with its fix; never blocks the launch


@dataclass(frozen=True)
class Finding:
    ok: bool
    evidence: str  # what was read or done, with the figures that decided it
    fix: str = ""  # one line, when it fails


@dataclass(frozen=True)
class Probe:
    """What a check may use: the runtime built from this machine's settings, and the deployment
    under test over HTTP (``target``: its base URL) with the admin token."""

    runtime: Runtime
    target: str
    admin_token: str
    environment: str  # "development" or "production": which checks are required
    notify: bool = False  # the operator allowed test notifications on the alert channels
    timeout: float = 20.0  # seconds, per check

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.target.rstrip("/"),
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=min(self.timeout, 10.0),
            follow_redirects=False,
        )


@dataclass(frozen=True)
class Check:
    id: str  # stable, dotted: "stripe.webhook_endpoint"
    seed_item: str  # the launch-checklist item it covers, in the checklist's words
    run: Callable[[Probe], Finding]
    severity: Severity = Severity.REQUIRED
    # Where a required check blocks; elsewhere it runs as advisory (a production-only item).
    required_in: tuple[str, ...] = ENVIRONMENTS
    remote: bool = False  # needs only the public API and the admin token (``--api-only``)
    timeout: float | None = None  # seconds; None: the run's default

    def severity_in(self, environment: str) -> Severity:
        if self.severity is Severity.REQUIRED and environment in self.required_in:
            return Severity.REQUIRED
        return Severity.ADVISORY
