"""``steward preflight``: go or no-go, with the evidence. Exit 0 when every required check
passes, 1 when one fails, 2 when preflight itself cannot run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from steward import clikit
from steward.checks import ENVIRONMENTS, Probe
from steward.preflight import report, runner

app = typer.Typer(help="Launch checks with evidence, and a synthetic customer journey.")


@app.callback(invoke_without_command=True)
def preflight(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Also write the report as one HTML page.")
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Base URL of the deployment (default: the public URL).")
    ] = None,
    only: Annotated[list[str] | None, typer.Option(help="Run only this check id (repeat).")] = None,
    environment: Annotated[
        str | None, typer.Option(help="development or production (default: STEWARD_MODE).")
    ] = None,
    api_only: Annotated[
        bool, typer.Option(help="Only the checks that need just the public API and admin token.")
    ] = False,
    notify: Annotated[
        bool, typer.Option(help="Send a test notification on every alert channel.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds per check.")] = 20.0,
) -> None:
    """Run every launch check (and the product's own); go or no-go."""
    try:
        runtime = clikit.runtime()
        env = environment or runtime.settings.mode.value
        if env not in ENVIRONMENTS:
            raise ValueError(f"--environment must be one of {', '.join(ENVIRONMENTS)}")
        checks = runner.select(
            (*runner.BUILTIN, *runtime.product.preflight), only or (), remote_only=api_only
        )
        probe = Probe(
            runtime=runtime,
            target=(target or runtime.settings.public_url).rstrip("/"),
            admin_token=runtime.settings.admin_token,
            environment=env,
            notify=notify,
            timeout=timeout,
        )
    except Exception as exc:
        clikit.err.print(f"preflight cannot run: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    result = runner.run(checks, probe)
    if html_file is not None:
        html_file.write_text(report.page(result), encoding="utf-8")
    if as_json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        report.table(result, clikit.console)
    raise typer.Exit(0 if result.ok else 1)
