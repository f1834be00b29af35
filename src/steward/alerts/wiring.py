"""How the alerts domain and the cockpit plug into Steward: the alert log, the rule schedule,
the domain-event subscriptions (``install``); the admin API and cockpit routes (``install_app``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from steward.alerts import workflows
from steward.alerts.channels import parse_urls
from steward.alerts.rules import resolve_rules
from steward.alerts.service import NOTIFY, AlertLog

SIGNUP_PATHS = {"/admin/api/tenants", "/api/v1/signup", "/signup"}


def install(steward: Any) -> AlertLog:
    settings, product = steward.settings, steward.product
    rules = resolve_rules(getattr(product, "alert_rules", []))
    alerts = AlertLog(
        steward.db, steward.clock, steward.bus, rules, parse_urls(settings.alert_urls)
    )
    steward.bus.subscribe(NOTIFY, "steward.alerts.deliver")
    for event_type in sorted({t for r in rules.values() for t in r.events}):
        steward.bus.subscribe(event_type, "steward.alerts.on_event")
    steward.schedules.extend(workflows.schedules(settings))
    return alerts


def install_app(app: FastAPI, settings: Any) -> None:
    from steward.alerts import endpoints as alert_endpoints
    from steward.audit import endpoints as audit_endpoints
    from steward.cockpit import admin_endpoints, pages
    from steward.flags import endpoints as flag_endpoints

    app.include_router(alert_endpoints.admin)
    app.include_router(alert_endpoints.tenant_actions)
    app.include_router(flag_endpoints.admin)
    app.include_router(audit_endpoints.admin)
    app.include_router(admin_endpoints.admin)
    pages.install(app)
