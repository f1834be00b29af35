"""The FastAPI application: routers, error handlers, security headers, and the lifespan that
starts the durable engine and the inbox workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from steward import __version__, migrate
from steward import logging as steward_logging
from steward.alerts import wiring as alerts_wiring
from steward.api import errors
from steward.api.headers import SecurityHeaders
from steward.bootstrap import Steward, build
from steward.config import Settings
from steward.inbox import endpoints as inbox_endpoints
from steward.ops import endpoints as ops_endpoints
from steward.provisioning import endpoints as provisioning_endpoints
from steward.subscriptions import endpoints as subscription_endpoints
from steward.tenants import endpoints as tenant_endpoints
from steward.wallets import wiring as wallets_wiring

log = structlog.get_logger("steward.app")


def create_app(settings: Settings | None = None, steward: Steward | None = None) -> FastAPI:
    settings = settings or (steward.settings if steward else Settings())
    settings.check_production()
    steward_logging.configure(settings.log_level, settings.log_json)
    steward = steward or build(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await asyncio.to_thread(migrate.up, steward.db)
        sandbox, sink = _app.state.stripe_sandbox, _app.state.mail_sink
        if sandbox is not None:
            sandbox.start()
        if sink is not None:
            sink.start()
        # DBOS's synchronous API refuses to run on the event loop: start it from a thread.
        await asyncio.to_thread(steward.start, "server", durable=settings.durable_engine)
        log.info("server.started", product=steward.product.name, database=steward.db.dialect)
        try:
            yield
        finally:
            if sandbox is not None:
                sandbox.stop()
            if sink is not None:
                sink.stop()
            await asyncio.to_thread(steward.stop, durable=settings.durable_engine)

    app = FastAPI(
        title="Steward",
        version=__version__,
        summary="Payments in, service out: the customer lifecycle of a small SaaS.",
        lifespan=lifespan,
    )
    app.state.steward = steward
    app.state.stripe_sandbox = None
    app.state.mail_sink = None
    errors.install(app)
    app.include_router(ops_endpoints.router)
    app.include_router(inbox_endpoints.webhooks)
    app.include_router(inbox_endpoints.admin)
    app.include_router(tenant_endpoints.admin)
    app.include_router(tenant_endpoints.tenant_api)
    app.include_router(subscription_endpoints.tenant_api)
    app.include_router(subscription_endpoints.admin)
    app.include_router(provisioning_endpoints.admin)  # provisioning (issue 4)
    app.include_router(provisioning_endpoints.tenant_api)
    app.include_router(provisioning_endpoints.callbacks)
    if settings.sandbox:
        _mount_sandboxes(app, settings)
    wallets_wiring.install_app(app, settings)  # wallets (issue 6): routes, the vapi sandbox
    alerts_wiring.install_app(app, settings)  # alerts, kill switches, audit, cockpit (issue 5)

    from steward.cockpit.pages import HEADERS as COCKPIT_HEADERS

    app.add_middleware(SecurityHeaders, by_prefix={"/cockpit": COCKPIT_HEADERS})
    return app


def _mount_sandboxes(app: FastAPI, settings: Settings) -> None:
    from steward.providers.email import MailSink
    from steward.providers.stripe.sandbox import StripeSandbox

    sandbox = StripeSandbox(
        webhook_url=settings.public_url.rstrip("/") + "/webhooks/stripe",
        webhook_secret=settings.webhook_secrets[0],
    )
    app.state.stripe_sandbox = sandbox
    app.mount("/sandbox/stripe", sandbox.app)
    if not settings.smtp_url:
        sink = MailSink(port=settings.sandbox_smtp_port)
        app.state.mail_sink = sink
        app.include_router(sink.router, prefix="/sandbox/mail")
    from steward.providers.panel import PanelSandbox  # provisioning (issue 4)

    app.state.panel_sandbox = PanelSandbox(
        settings.public_url.rstrip("/") + "/webhooks/panel",
        settings.panel_webhook_secret,
        settings.sandbox_panel_delay_seconds,
    )
    app.mount("/sandbox/panel", app.state.panel_sandbox.app)
