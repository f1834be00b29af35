"""The FastAPI application: every module's routers and pages, error handlers, security headers,
and the lifespan that starts the durable engine and the inbox workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import structlog
from fastapi import APIRouter, FastAPI

from steward import __version__, migrate
from steward import logging as steward_logging
from steward.api import errors
from steward.api.headers import DOCS, SecurityHeaders
from steward.bootstrap import Steward, build
from steward.config import Mode, Settings
from steward.errors import ConfigError
from steward.providers.sandboxes import Sandboxes

log = structlog.get_logger("steward.app")


def create_app(settings: Settings | None = None, steward: Steward | None = None) -> FastAPI:
    settings = settings or (steward.runtime.settings if steward else Settings())
    settings.check_production()
    steward_logging.configure(settings.log_level, settings.log_json)
    steward = steward or build(settings)
    runtime = steward.runtime
    sandboxes = Sandboxes.for_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await asyncio.to_thread(migrate.up, runtime.db)
        sandboxes.start()
        # DBOS's synchronous API refuses to run on the event loop: start it from a thread.
        await asyncio.to_thread(steward.start, "server", durable=settings.durable_engine)
        log.info("server.started", product=runtime.product.name, database=runtime.db.dialect)
        try:
            yield
        finally:
            sandboxes.stop()
            await asyncio.to_thread(steward.stop, durable=settings.durable_engine)

    production = settings.mode is Mode.PRODUCTION
    app = FastAPI(
        title="Steward",
        version=__version__,
        summary="Payments in, service out: the customer lifecycle of a small SaaS.",
        lifespan=lifespan,
        docs_url=None if production else "/docs",
        redoc_url=None,
    )
    app.state.steward = steward
    app.state.runtime = runtime
    app.state.sandboxes = sandboxes
    errors.install(app)
    headers: dict[str, dict[str, str]] = {}
    _check_routes([r for m in steward.modules for r in (*m.routers, *m.pages)])
    for module in steward.modules:
        for router in (*module.routers, *module.pages):
            app.include_router(router)
        if module.mount is not None:
            module.mount(app, runtime)
        for prefix, values in module.headers.items():
            if prefix in headers:
                raise ConfigError(f"headers for {prefix} are declared twice")
            headers[prefix] = values
    sandboxes.mount(app)
    if not production:
        headers.setdefault("/docs", DOCS)
    app.add_middleware(SecurityHeaders, by_prefix=headers, hsts=production)
    return app


def _check_routes(routers: Sequence[APIRouter]) -> None:
    seen: set[tuple[str, str]] = set()
    for router in routers:
        for route in router.routes:
            path = str(getattr(route, "path", ""))
            for method in getattr(route, "methods", None) or ():
                if (method, path) in seen:
                    raise ConfigError(f"route {method} {path} is declared twice")
                seen.add((method, path))
