"""The ``steward`` command. Commands call services, never SQL; bad input exits non-zero with one
clear line."""

from __future__ import annotations

import getpass
import json
import signal
import sys
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from steward import migrate as migrations
from steward.alerts import cli as alerts_cli
from steward.config import Settings
from steward.errors import StewardError
from steward.provisioning.cli import pool_app, provisioning_app
from steward.subscriptions.cli import stripe_app
from steward.wallets.cli import reconcile_app, wallet_app

if TYPE_CHECKING:
    from steward.bootstrap import Steward

app = typer.Typer(
    help="Steward: payments in, service out.", no_args_is_help=True, pretty_exceptions_enable=False
)
migrate_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
events_app = typer.Typer(help="The webhook inbox.", no_args_is_help=True)
app.add_typer(migrate_app, name="migrate")
app.add_typer(events_app, name="events")
app.add_typer(stripe_app, name="stripe")
app.add_typer(provisioning_app, name="provisioning")  # provisioning (issue 4)
app.add_typer(pool_app, name="pool")  # provisioning (issue 4)
app.add_typer(wallet_app, name="wallet")  # wallets (issue 6)
app.add_typer(reconcile_app, name="reconcile")  # wallets (issue 6)
app.add_typer(alerts_cli.alerts_app, name="alerts")  # alerts (issue 5)
app.add_typer(alerts_cli.flags_app, name="flags")  # kill switches (issue 5)
app.add_typer(alerts_cli.audit_app, name="audit")  # audit log (issue 5)
app.add_typer(alerts_cli.operator_app, name="operator")  # cockpit operators (issue 5)
app.add_typer(alerts_cli.tenants_app, name="tenants")  # tenant delete (issue 5)
console = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    return Settings()


def _steward(settings: Settings | None = None) -> Steward:
    from steward import logging as steward_logging
    from steward.bootstrap import build

    settings = settings or _settings()
    steward_logging.configure(settings.log_level, settings.log_json)
    return build(settings)


make_steward = _steward  # for domain CLI modules


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Run a scripted customer once the server is up.")
    ] = False,
) -> None:
    """Run the HTTP server with the durable engine and inbox workers."""
    import uvicorn

    from steward.app import create_app

    settings = _settings()
    if settings.public_url == "http://127.0.0.1:8000" and port != 8000:
        settings.public_url = f"http://{host}:{port}"
    app = create_app(settings)
    if demo:
        if app.state.stripe_sandbox is None:
            raise StewardError("--demo needs the Stripe sandbox: unset STEWARD_SANDBOX=false")
        threading.Thread(target=_run_demo, args=(app,), daemon=True).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _run_demo(app: object) -> None:
    from steward.demo.script import scripted_customer, wait_until_up

    state = app.state  # type: ignore[attr-defined]
    base_url = state.steward.settings.public_url
    try:
        wait_until_up(base_url)
        tenant = scripted_customer(state.steward, state.stripe_sandbox, base_url)
    except Exception as exc:
        err.print(f"demo: the scripted customer failed: {exc}")
        return
    console.print(
        f"\n[bold green]demo:[/] tenant {tenant['id']} paid and is {tenant['billing_status']}.\n"
        f"  curl -H 'Authorization: Bearer {state.steward.settings.admin_token}' "
        f"{base_url}/admin/api/tenants/{tenant['id']}\n"
        f"  API docs: {base_url}/docs  readiness: {base_url}/readyz  metrics: {base_url}/metrics\n"
    )


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Inbox worker threads.")] = 2,
) -> None:
    """Run the durable engine and inbox workers without HTTP."""
    settings = _settings()
    settings.check_production()
    steward = _steward(settings)
    if settings.auto_migrate:
        migrations.up(steward.db)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    steward.start("worker", durable=settings.durable_engine, workers=threads)
    console.print(f"worker {steward.executor_id or ''} running; Ctrl-C to stop", highlight=False)
    stop.wait()
    steward.stop(durable=settings.durable_engine)


@migrate_app.command("up")
def migrate_up(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    steward = _steward()
    migrations.up(steward.db, revision)
    console.print(f"migrated up to {migrations.status(steward.db)[0]}")


@migrate_app.command("down")
def migrate_down(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Revert migrations down to REVISION ('base' reverts all; '-1' one step on a single branch)."""
    steward = _steward()
    migrations.down(steward.db, revision)
    console.print(f"migrated down to {migrations.status(steward.db)[0] or 'base'}")


@migrate_app.command("status")
def migrate_status() -> None:
    """Show the current and the newest revision."""
    current, head = migrations.status(_steward().db)
    state = "up to date" if current == head else "behind"
    console.print(f"current: {current or 'base'}  head: {head}  ({state})")


@events_app.command("list")
def events_list(
    status: Annotated[
        str | None, typer.Option(help="pending, retrying, processed, ignored, failed, dead")
    ] = None,
    type: Annotated[
        str | None, typer.Option(help="Event type, e.g. checkout.session.completed")
    ] = None,
    limit: int = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List inbound events, newest first."""
    from steward.inbox import repository as repo
    from steward.inbox.models import EventStatus

    try:
        wanted = EventStatus(status) if status else None
    except ValueError:
        raise StewardError(
            f"unknown status {status!r}; use one of {', '.join(EventStatus)}"
        ) from None
    steward = _steward()
    with steward.db.read() as session:
        rows, total = repo.search(session, status=wanted, type=type, limit=limit)
    if as_json:
        for r in rows:
            print(
                json.dumps(
                    {
                        "id": r.id,
                        "external_id": r.external_id,
                        "type": r.type,
                        "status": r.status.value,
                        "attempts": r.attempts,
                        "tenant_id": r.tenant_id,
                        "last_error": r.last_error,
                    }
                )
            )
        return
    table = Table(title=f"{len(rows)} of {total} events")
    for col in ("id", "external id", "type", "status", "attempts", "tenant", "error"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.id),
            r.external_id,
            r.type,
            r.status.value,
            str(r.attempts),
            r.tenant_id or "",
            (r.last_error or "")[:60],
        )
    console.print(table)


@events_app.command("replay")
def events_replay(event_id: int) -> None:
    """Put a failed, dead or ignored event back in the queue."""
    event = _steward().inbox.replay(event_id, actor=f"cli:{getpass.getuser()}")
    console.print(f"event {event.id} ({event.type}) queued again (replay {event.replays})")


def main() -> None:
    try:
        app()
    except StewardError as exc:
        err.print(f"error: {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(2)
