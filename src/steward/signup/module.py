"""Public self-serve signup: the product's declared wizard on the web."""

from __future__ import annotations

from steward.module import Module
from steward.runtime import Runtime
from steward.signup import endpoints, pages, workflows
from steward.signup.tokens import StepTokens


def _setup(runtime: Runtime) -> None:
    runtime.services.add(StepTokens(runtime))


MODULE = Module(
    name="signup",
    routers=(endpoints.public,),
    pages=(pages.router,),
    subscribers=workflows.SUBSCRIBERS,
    setup=_setup,
    tables=("signups", "signup_idempotency"),
)
