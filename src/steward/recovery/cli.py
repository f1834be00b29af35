"""``steward recovery``: run one reminder tick by hand (what the schedule does every minute),
and list a company's cases."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from steward.clikit import console, runtime, with_client
from steward.recovery import repository as repo
from steward.recovery import workflows
from steward.recovery.models import CaseState

recovery_app = typer.Typer(help="Payment recovery: tick now, list cases.", no_args_is_help=True)


@recovery_app.command("tick")
def tick() -> None:
    """Send every due reminder now and give up on cases past their last attempt. Safe beside
    running workers: reminders are claimed, so nothing is sent twice."""
    with with_client() as rt:  # a breaker that opens publishes a domain event
        report = workflows.tick(rt)
    if report.paused:
        console.print("paused: the dunning kill switch is off")
        return
    console.print(
        f"sent {report.sent}, failed {report.failed}, closed {report.closed}, "
        f"skipped companies: {', '.join(report.skipped_companies) or 'none'}"
    )


@recovery_app.command("cases")
def cases(
    company: Annotated[
        str | None, typer.Option(help="a company (tenant id); all if omitted")
    ] = None,
    state: Annotated[CaseState | None, typer.Option(help="only cases in this state")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """The newest cases, with their state and attempts."""
    with runtime().db.read() as session:
        rows, total = repo.search(
            session, company_id=company, state=state, membership_id=None, limit=limit, offset=0
        )
        table = Table("case", "company", "provider", "membership", "state", "attempts", "opened")
        for c in rows:
            table.add_row(
                c.id,
                c.company_id,
                c.provider,
                c.membership_id,
                c.state.value,
                str(c.attempts),
                f"{c.opened_at:%Y-%m-%d %H:%M}",
            )
    console.print(table)
    console.print(f"{len(rows)} of {total}")
