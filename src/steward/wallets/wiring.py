"""How the wallets domain plugs into Steward: handlers, subscribers, schedules, the provider
client (``install``), and routes plus the provider sandbox (``install_app``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from steward.providers.vapi import VapiClient
from steward.wallets import handlers, recharge, workflows

SANDBOX_PATH = "/sandbox/vapi"


def install(steward: Any) -> None:
    settings = steward.settings
    handlers.register(steward.registry, steward)
    steward.bus.subscribe(recharge.REQUESTED, recharge.WORKFLOW)
    steward.schedules.extend(workflows.schedules(settings))
    base = settings.vapi_api_base
    if not base and settings.sandbox:
        base = settings.public_url.rstrip("/") + SANDBOX_PATH
    steward.extras["vapi"] = VapiClient(base or "https://api.vapi.ai", settings.vapi_api_key)


def install_app(app: FastAPI, settings: Any) -> None:
    from steward.wallets import endpoints

    app.include_router(endpoints.webhooks)
    app.include_router(endpoints.tenant_api)
    app.include_router(endpoints.admin)
    app.state.vapi_sandbox = None
    if settings.sandbox:
        from steward.providers.vapi.sandbox import VapiSandbox

        sandbox = VapiSandbox(
            webhook_url=settings.public_url.rstrip("/") + "/webhooks/vapi",
            webhook_secret=settings.vapi_webhook_secret,
            api_key=settings.vapi_api_key,
        )
        app.state.vapi_sandbox = sandbox
        app.mount(SANDBOX_PATH, sandbox.app)
