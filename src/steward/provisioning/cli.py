"""`steward provisioning list|show|retry|cancel|deprovision` and `steward pool add|status`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from steward.clikit import console, with_client
from steward.errors import InvalidInput
from steward.pools import service as pools
from steward.provisioning import repository as repo
from steward.provisioning import service, workflows

provisioning_app = typer.Typer(help="Provisioning runs.", no_args_is_help=True)
pool_app = typer.Typer(help="Resource pools (e.g. phone numbers).", no_args_is_help=True)


@provisioning_app.command("list")
def list_runs(
    state: Annotated[str | None, typer.Option(help="pending, processing, waiting, ...")] = None,
    tenant: Annotated[str | None, typer.Option(help="A tenant id.")] = None,
    limit: int = 50,
) -> None:
    """Runs, newest first."""

    wanted = service.parse_state(state)
    with with_client() as rt, rt.db.read() as session:
        rows, total = repo.search(session, state=wanted, tenant_id=tenant, limit=limit)
        table = Table(title=f"{len(rows)} of {total} runs")
        for col in ("id", "key", "kind", "state", "retries", "reason"):
            table.add_column(col)
        for r in rows:
            table.add_row(
                str(r.id), r.key, r.kind.value, r.state.value, str(r.retries), (r.reason or "")[:70]
            )
    console.print(table)


@provisioning_app.command("show")
def show(run_id: int) -> None:
    """One run with its step timeline."""

    with with_client() as rt, rt.db.read() as session:
        run = repo.get(session, run_id)
        console.print(f"{run.key}: {run.state.value} {run.reason or ''}", highlight=False)
        for s in repo.steps(session, run_id):
            console.print(
                f"  {s.position} {s.name:<24} {s.state.value:<8} attempts={s.attempts} "
                f"{(s.error or s.output or '')[:80]}",
                highlight=False,
            )


@provisioning_app.command("retry")
def retry(run_id: int) -> None:
    """Retry a failed run from its failed step (finished steps are not run again)."""

    with with_client() as rt, rt.db.transaction() as session:
        run = service.retry(session, rt, run_id, actor="cli")
        workflow_id = run.workflow_id
    console.print(f"run {run_id} retried as workflow {workflow_id}", highlight=False)


@provisioning_app.command("start")
def start(
    tenant_id: str,
    plan: Annotated[str | None, typer.Option(help="A plan key (default: the tenant's).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Record what each step would do; call nothing.")
    ] = False,
) -> None:
    """Start a provisioning run for a tenant (a rehearsal with --dry-run)."""

    with with_client() as rt, rt.db.transaction() as session:
        run = service.start(session, rt, tenant_id, plan, dry_run=dry_run)
        key, run_id = run.key, run.id
    console.print(f"run {run_id} {key} started" + (" (dry run)" if dry_run else ""))


@provisioning_app.command("cancel")
def cancel(run_id: int) -> None:

    with with_client() as rt:
        with rt.db.transaction() as session:
            run = service.cancel(session, rt, run_id, actor="cli")
        workflows.send(rt, run.workflow_id, {"canceled": True}, workflows.SWITCH_TOPIC)
    console.print(f"run {run_id} canceled")


@provisioning_app.command("deprovision")
def deprovision(tenant_id: str) -> None:
    """Undo the tenant's provisioning, last step first."""

    with with_client() as rt, rt.db.transaction() as session:
        run = service.deprovision(session, rt, tenant_id, actor="cli")
        key = run.key
    console.print(f"deprovisioning run {key} started")


@pool_app.command("add")
def pool_add(
    pool: str,
    values: Annotated[list[str] | None, typer.Argument(help="Items to add.")] = None,
    file: Annotated[Path | None, typer.Option(help="A file with one item a line.")] = None,
    low_watermark: Annotated[int | None, typer.Option(help="Alert below this many free.")] = None,
) -> None:
    """Add items to a pool (creating it); waiting runs are woken."""

    items = list(values or [])
    if file is not None:
        items += [line for line in file.read_text().splitlines() if line.strip()]
    if not items:
        raise InvalidInput("give items as arguments or --file")
    with with_client() as rt:
        with rt.db.transaction() as session:
            added = pools.add(
                session,
                rt.clock,
                pool,
                items,
                low_watermark=low_watermark,
                default_watermark=rt.settings.pool_low_watermark,
            )
        woken = workflows.notify(rt, f"pool:{pool}") if added.added else 0
    console.print(
        f"pool {pool}: {added.added} added, {added.skipped} already there, "
        f"{added.free} free; {woken} waiting run(s) woken",
        highlight=False,
    )


@pool_app.command("status")
def pool_status() -> None:
    """Every pool's level."""

    with with_client() as rt, rt.db.read() as session:
        table = Table(title="pools")
        for col in ("pool", "free", "total", "low watermark", ""):
            table.add_column(col)
        for lv in pools.levels(session):
            flag = "EMPTY" if lv.free == 0 else ("LOW" if lv.free < lv.low_watermark else "")
            table.add_row(lv.pool, str(lv.free), str(lv.total), str(lv.low_watermark), flag)
    console.print(table)
