"""Provisioning: durable multi-step set-up of what a tenant bought, and resource pools."""

from __future__ import annotations

from steward.module import Command, Module
from steward.provisioning import deletion_repository, endpoints, workflows
from steward.provisioning.cli import pool_app, provisioning_app
from steward.runtime import Runtime
from steward.steps import check_steps


def _setup(runtime: Runtime) -> None:
    """Refuse at start-up a plan whose steps cannot run (duplicate or missing names)."""
    for plan in runtime.product.plans:
        for steps in (plan.provisioning, plan.suspend_steps, plan.resume_steps):
            check_steps(plan.key, steps)


MODULE = Module(
    name="provisioning",
    routers=(endpoints.admin, endpoints.tenant_api, endpoints.callbacks),
    subscribers=workflows.SUBSCRIBERS,
    queues=workflows.QUEUES,
    commands=(Command("provisioning", provisioning_app), Command("pool", pool_app)),
    setup=_setup,
    tables=("provisioning_runs", "provisioning_steps", "provisioned_resources", "pool_items"),
    delete_tenant=deletion_repository.delete_tenant,
)
