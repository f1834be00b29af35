"""The ``steward`` command. Commands call services, never SQL; bad input exits non-zero with one
clear line."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from steward import logging as steward_logging
from steward import migrate as migrations
from steward.app import create_app
from steward.bootstrap import MODULES, Steward, build
from steward.clikit import console, err, use
from steward.config import Settings
from steward.demo.operator import demo_operator
from steward.demo.script import scripted_customer, wait_until_up
from steward.errors import StewardError

app = typer.Typer(
    help="Steward: payments in, service out.", no_args_is_help=True, pretty_exceptions_enable=False
)
migrate_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(migrate_app, name="migrate")
for _module in MODULES:
    for _command in _module.commands:
        app.add_typer(_command.app, name=_command.name)


def _steward(settings: Settings | None = None) -> Steward:
    settings = settings or Settings()
    steward_logging.configure(settings.log_level, settings.log_json)
    return build(settings)


@app.callback()
def root() -> None:
    """Steward: payments in, service out."""
    use(_steward)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Run a scripted customer once the server is up.")
    ] = False,
) -> None:
    """Run the HTTP server with the durable engine and inbox workers."""
    settings = Settings()
    if settings.public_url == "http://127.0.0.1:8000" and port != 8000:
        settings.public_url = f"http://{host}:{port}"
    app = create_app(settings)
    if demo:
        if app.state.sandboxes.stripe is None:
            raise StewardError("--demo needs the Stripe sandbox: unset STEWARD_SANDBOX=false")
        threading.Thread(target=_run_demo, args=(app,), daemon=True).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _run_demo(app: FastAPI) -> None:
    runtime, sandbox = app.state.runtime, app.state.sandboxes.stripe
    base_url = runtime.settings.public_url
    try:
        wait_until_up(base_url)
        tenant = scripted_customer(runtime, sandbox, base_url)
        login = demo_operator(runtime)
    except Exception as exc:
        err.print(f"demo: failed: {exc}")
        return
    console.print(
        f"\n[bold green]demo:[/] tenant {tenant['id']} paid and is {tenant['billing_status']}.\n"
        f"  cockpit: {login.url}  email: {login.email}  password: {login.password}\n"
        f"  curl -H 'Authorization: Bearer {runtime.settings.admin_token}' "
        f"{base_url}/admin/api/tenants/{tenant['id']}\n"
        f"  API docs: {base_url}/docs  readiness: {base_url}/readyz  metrics: {base_url}/metrics\n",
        soft_wrap=True,  # a wrapped URL or password cannot be copied
        highlight=False,
    )


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Inbox worker threads.")] = 2,
) -> None:
    """Run the durable engine and inbox workers without HTTP."""
    settings = Settings()
    settings.check_production()
    steward = _steward(settings)
    if settings.auto_migrate:
        migrations.up(steward.runtime.db)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    steward.start("worker", durable=settings.durable_engine, workers=threads)
    console.print(f"worker {steward.engine.executor_id} running; Ctrl-C to stop", highlight=False)
    stop.wait()
    steward.stop(durable=settings.durable_engine)


@migrate_app.command("up")
def migrate_up(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    steward = _steward()
    migrations.up(steward.runtime.db, revision)
    console.print(f"migrated up to {migrations.status(steward.runtime.db)[0]}")


@migrate_app.command("down")
def migrate_down(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Revert migrations down to REVISION ('base' reverts all; '-1' one step on a single branch)."""
    steward = _steward()
    migrations.down(steward.runtime.db, revision)
    console.print(f"migrated down to {migrations.status(steward.runtime.db)[0] or 'base'}")


@migrate_app.command("status")
def migrate_status() -> None:
    """Show the current and the newest revision."""
    current, head = migrations.status(_steward().runtime.db)
    state = "up to date" if current == head else "behind"
    console.print(f"current: {current or 'base'}  head: {head}  ({state})", soft_wrap=True)


def main() -> None:
    try:
        app()
    except StewardError as exc:
        err.print(f"error: {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(2)
