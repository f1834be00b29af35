"""``steward events list|replay``: the webhook inbox from the command line."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.table import Table

from steward.clikit import console, runtime
from steward.errors import StewardError
from steward.inbox import repository as repo
from steward.inbox.models import EventStatus
from steward.inbox.service import Inbox

events_app = typer.Typer(help="The webhook inbox.", no_args_is_help=True)


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
    try:
        wanted = EventStatus(status) if status else None
    except ValueError:
        raise StewardError(
            f"unknown status {status!r}; use one of {', '.join(EventStatus)}"
        ) from None
    with runtime().db.read() as session:
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
    event = runtime().service(Inbox).replay(event_id, actor=f"cli:{getpass.getuser()}")
    console.print(f"event {event.id} ({event.type}) queued again (replay {event.replays})")
