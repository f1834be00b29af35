"""Operator alerts: rules on a schedule and on domain events, fire once, deliver everywhere."""

from __future__ import annotations

from steward.alerts import cli, deletion_repository, endpoints, workflows
from steward.alerts.channels import parse_urls
from steward.alerts.rules import resolve_rules
from steward.alerts.service import NOTIFY, AlertLog
from steward.module import Command, Extension, Module, Subscribe
from steward.runtime import Runtime


def _setup(runtime: Runtime) -> None:
    rules = resolve_rules(runtime.product.alert_rules)
    channels = parse_urls(runtime.settings.alert_urls)
    runtime.services.add(AlertLog(runtime.db, runtime.clock, runtime.bus, rules, channels))


def _extend(runtime: Runtime) -> Extension:
    """One subscription per event type a rule listens to."""
    rules = runtime.service(AlertLog).rules.values()
    types = sorted({t for rule in rules for t in rule.events})
    return Extension(subscribers=[Subscribe(t, workflows.on_event) for t in types])


MODULE = Module(
    name="alerts",
    routers=(endpoints.admin, endpoints.tenant_actions),
    subscribers=(Subscribe(NOTIFY, workflows.deliver),),
    schedules=workflows.SCHEDULES,
    commands=(
        Command("alerts", cli.alerts_app),
        Command("flags", cli.flags_app),
        Command("audit", cli.audit_app),
        Command("operator", cli.operator_app),
        Command("tenants", cli.tenants_app),
    ),
    setup=_setup,
    extend=_extend,
    delete_tenant=deletion_repository.delete_tenant,
)
