"""`steward stripe sync --since 3d`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from steward.clikit import console, runtime
from steward.subscriptions import sync

stripe_app = typer.Typer(help="Stripe: catch up on missed webhooks.", no_args_is_help=True)


@stripe_app.command("sync")
def stripe_sync(
    since: Annotated[str, typer.Option(help="How far back: 3d, 12h, 90m, 30s.")] = "3d",
) -> None:
    """List Stripe's events since then and feed every one the inbox lacks through it."""

    window = sync.parse_since(since)
    rt = runtime()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("reading Stripe events", total=None)

        def progress(seen: int, ingested: int) -> None:
            bar.update(task, description=f"{seen:,} events read, {ingested:,} new to the inbox")

        report = sync.catch_up(rt, window, progress)
    console.print(
        f"{report.seen:,} events read; {report.ingested:,} were missing and are now in the inbox"
    )
