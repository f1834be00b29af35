"""How a product declares its signup wizard.

    from steward.signup.spec import PlanInputs, SignupSpec, declare

    SIGNUP = SignupSpec(
        plans={"starter": PlanInputs(urls=("make_webhook_url",)), "pro": PlanInputs(confirm=True)},
        slug_collision="suggest",
        one_tenant_per_email=False,
        provision_unverified=False,
    )
    product = Product(..., modules=(declare(SIGNUP),))

The steps are an ordered declaration (``STEPS``): each endpoint is allowed only for the tenant's
next step, so the list can move onto a channel-neutral onboarding flow without changing the web
contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from steward.errors import ConfigError
from steward.module import Module
from steward.runtime import Runtime

STEPS: tuple[str, ...] = ("start", "brand", "plan")  # in order; "status" follows the last


def next_step(step: str) -> str:
    i = STEPS.index(step)
    return STEPS[i + 1] if i + 1 < len(STEPS) else "status"


@dataclass(frozen=True)
class PlanInputs:
    """What the plan step asks for a plan: URLs (SSRF-checked, kept as provisioning inputs under
    their name), and/or an explicit ``confirm: true``."""

    urls: tuple[str, ...] = ()
    confirm: bool = False


@dataclass(frozen=True)
class SignupSpec:
    plans: dict[str, PlanInputs] = field(default_factory=dict)  # the plans offered, and inputs
    slug_collision: Literal["suggest", "next_free"] = "suggest"  # 409 with suggestions, or take one
    one_tenant_per_email: bool = False  # True: a second signup with an owned email is refused
    provision_unverified: bool = False  # False: nothing goes live before the email is verified

    def __post_init__(self) -> None:
        if not self.plans:
            raise ConfigError("SignupSpec: offer at least one plan")


def declare(spec: SignupSpec) -> Module:
    """The product's module that makes ``spec`` its signup (checked against its plans)."""

    def setup(runtime: Runtime) -> None:
        for key in spec.plans:
            runtime.product.plan(key)
        runtime.services.add(spec)

    return Module(name="signup.spec", setup=setup)
