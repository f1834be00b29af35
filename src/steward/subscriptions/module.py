"""Subscriptions: checkout, trials, the paid lifecycle driven by Stripe's events, catch-up."""

from __future__ import annotations

from steward.module import Command, Module, Subscribe
from steward.runtime import Runtime
from steward.subscriptions import deletion_repository, endpoints, handlers, workflows
from steward.subscriptions.cli import stripe_app
from steward.subscriptions.machine import Machine


def _setup(runtime: Runtime) -> None:
    runtime.services.add(Machine(runtime.clock, runtime.bus))


MODULE = Module(
    name="subscriptions",
    routers=(endpoints.tenant_api, endpoints.admin),
    handlers=handlers.ON,
    subscribers=(Subscribe("subscription.trial_will_end", workflows.trial_notice),),
    schedules=workflows.SCHEDULES,
    commands=(Command("stripe", stripe_app),),
    tables=("subscriptions", "checkout_sessions", "subscription_transitions", "trial_identities"),
    setup=_setup,
    delete_tenant=deletion_repository.delete_tenant,
)
