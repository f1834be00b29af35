"""Failed-payment recovery (dunning) for Whop memberships and Stripe subscriptions."""

from __future__ import annotations

from steward.cockpit import recovery_pages
from steward.module import Command, Module
from steward.recovery import endpoints, handlers, workflows
from steward.recovery.auth import WhopUserTokens
from steward.recovery.cli import recovery_app
from steward.runtime import Runtime


def _setup(runtime: Runtime) -> None:
    runtime.services.add(WhopUserTokens(runtime.settings))


MODULE = Module(
    name="recovery",
    routers=(endpoints.webhooks, endpoints.api, endpoints.admin),
    pages=(recovery_pages.router,),
    handlers=handlers.ON,
    schedules=workflows.SCHEDULES,
    commands=(Command("recovery", recovery_app),),
    tables=(
        "recovery_settings",
        "recovery_cases",
        "recovery_case_transitions",
        "recovery_reminders",
        "recovery_actions",
        "recovery_breakers",
        "recovery_member_payments",
    ),
    setup=_setup,
)
