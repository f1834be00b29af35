"""``steward wallet show|adjust`` and ``steward reconcile --provider vapi --from --to``."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from steward import migrate
from steward.clikit import console, runtime, started
from steward.errors import InvalidInput
from steward.kit.money import format_minor
from steward.wallets import reconcile_repository, repository, service, views, workflows

wallet_app = typer.Typer(help="Prepaid usage wallets.", no_args_is_help=True)
reconcile_app = typer.Typer(help="Reconcile usage against the call provider's records.")


def _when(value: str, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"--{name}: {value!r} is not a date or ISO datetime") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@wallet_app.command("show")
def show(tenant_id: str, entries: int = 20) -> None:
    """A tenant's wallets: balance, debt limit, recent entries."""
    rt = runtime()
    with rt.db.read() as session:
        items = [
            views.wallet_view(session, w, entries=entries, admin=True)
            for w in repository.tenant_wallets(session, tenant_id)
        ]
    if not items:
        console.print(f"tenant {tenant_id} has no wallet yet")
    for w in items:
        console.print(
            f"[bold]{w.id}[/] {w.currency.upper()} balance {w.formatted_balance}, debt limit "
            f"{format_minor(w.debt_limit, w.currency)}, unpaid usage {w.unpaid_usage}"
            f"{'  [red]BLOCKED[/]' if w.blocked else ''}"
        )
        table = Table()
        for col in ("id", "kind", "outcome", "amount", "balance after", "key", "at"):
            table.add_column(col)
        for e in w.entries:
            table.add_row(
                str(e.id),
                e.kind,
                e.outcome,
                str(e.amount),
                str(e.balance_after),
                e.idempotency_key,
                e.created_at.isoformat(timespec="seconds"),
            )
        console.print(table)


@wallet_app.command("adjust")
def adjust(
    tenant_id: str,
    amount: Annotated[int, typer.Argument(help="signed minor units")],
    currency: Annotated[str, typer.Option()] = "gbp",
    reason: Annotated[str, typer.Option()] = "operator adjustment",
    key: Annotated[str | None, typer.Option(help="idempotency key (default: a new one)")] = None,
    actor: Annotated[str, typer.Option()] = "cli",
) -> None:
    """Credit (positive) or debit (negative) a wallet; audited; debits respect the debt limit."""
    rt = runtime()
    with rt.db.transaction() as session:
        posting = service.adjust(
            rt,
            session,
            tenant_id,
            amount=amount,
            currency=currency,
            reason=reason,
            key=key or uuid.uuid4().hex,
            actor=actor,
        )
    if posting.refused:
        raise posting.refusal()
    console.print(
        f"entry {posting.entry_id}: balance {format_minor(posting.balance, posting.currency)}"
        f"{' (replayed)' if posting.replayed else ''}"
    )


@reconcile_app.callback(invoke_without_command=True)
def reconcile(
    window_from: Annotated[str, typer.Option("--from", help="start, e.g. 2026-11-21")],
    window_to: Annotated[str, typer.Option("--to", help="end (excluded), e.g. 2026-11-22")],
    provider: Annotated[str, typer.Option(help="the call provider")] = "vapi",
    run_id: Annotated[str | None, typer.Option(help="resume this run")] = None,
) -> None:
    """Bill the provider's calls that Steward missed, once, and print the report."""
    start, end = _when(window_from, "from"), _when(window_to, "to")
    if runtime().settings.auto_migrate:
        migrate.up(runtime().db)
    with started("reconcile") as rt:
        run_id = workflows.open_run(rt, provider, start, end, run_id)
        handle = workflows.start_run(rt, run_id)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(f"reconcile {run_id}", total=None)
            while True:
                with rt.db.read() as session:
                    run = reconcile_repository.get(session, run_id)
                progress.update(task, total=run.total, completed=run.calls_seen)
                if handle.get_status().status in ("SUCCESS", "ERROR", "CANCELLED"):
                    break
                time.sleep(0.2)
        report = handle.get_result()
    table = Table(title=f"reconciliation {run_id} ({report['status']})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name in (
        "calls_seen",
        "already_billed",
        "newly_billed",
        "unpaid",
        "amount_recovered",
        "unpriced",
        "pages",
    ):
        table.add_row(name.replace("_", " "), str(report[name]))
    console.print(table)
    if report["error"]:
        console.print(f"[red]failed:[/] {report['error']}")
        raise typer.Exit(1)
