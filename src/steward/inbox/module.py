"""The durable webhook inbox: verify, store once, apply once, replay."""

from __future__ import annotations

from steward.inbox import deletion_repository, endpoints, workflows
from steward.inbox.cli import events_app
from steward.module import Command, Module, Schedule

MODULE = Module(
    name="inbox",
    routers=(endpoints.webhooks, endpoints.admin),
    schedules=(Schedule("steward.inbox.sweep", workflows.inbox_sweep, lambda _s: "0 * * * * *"),),
    commands=(Command("events", events_app),),
    tables=("inbound_events",),
    delete_tenant=deletion_repository.delete_tenant,
)
