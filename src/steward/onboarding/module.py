"""Onboarding: the product's declared flow, driven per tenant (SMS today, a web wizard later)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from steward.alerts.service import AlertLog
from steward.module import Extension, Module, Subscribe
from steward.onboarding import endpoints, handlers, sms, workflows
from steward.onboarding import repository as repo
from steward.onboarding.models import TABLES
from steward.onboarding.service import Onboarding
from steward.runtime import Runtime


def _setup(runtime: Runtime) -> None:
    flow = runtime.product.onboarding
    if flow is None:
        return
    onboarding = Onboarding(runtime, flow)
    onboarding.senders[sms.CHANNEL] = sms.send
    runtime.services.add(onboarding)

    def restart_clock(session: Session, tenant_id: str, kind: str) -> None:
        if kind == "stuck":
            onboarding.restart_clock(session, tenant_id)

    runtime.service(AlertLog).reset_hooks.append(restart_clock)


def _extend(runtime: Runtime) -> Extension:
    """No flow declared, nothing to listen to."""
    if runtime.product.onboarding is None:
        return Extension()
    return Extension(
        handlers=handlers.ON, subscribers=(Subscribe("tenant.activated", workflows.on_activated),)
    )


def _delete(session: Session, tenant_id: str) -> int:
    return repo.delete_for_tenant(session, tenant_id)


MODULE = Module(
    name="onboarding",
    routers=(endpoints.admin, endpoints.tenant_api),
    tables=TABLES,
    setup=_setup,
    extend=_extend,
    delete_tenant=_delete,
)
