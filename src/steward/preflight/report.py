"""A preflight report three ways: a rich table, JSON for CI, one HTML page to share."""

from __future__ import annotations

import html

from rich.console import Console
from rich.table import Table

from steward.checks import Severity
from steward.preflight.runner import Report


def table(report: Report, console: Console) -> None:
    grid = Table(title=f"preflight {report.environment} against {report.target}", show_lines=True)
    for column in ("", "check", "covers", "severity", "evidence / fix"):
        grid.add_column(column, overflow="fold")
    for r in report.results:
        mark = (
            "[green]ok[/]"
            if r.ok
            else ("[red]FAIL[/]" if r.severity is Severity.REQUIRED else "[yellow]warn[/]")
        )
        text = r.evidence + (f"\n[bold]fix:[/] {r.fix}" if r.fix else "")
        grid.add_row(
            mark, r.id, r.seed_item, r.severity.value, f"{text} [dim]({r.seconds:.1f}s)[/]"
        )
    console.print(grid)
    verdict = "[bold green]GO[/]" if report.ok else "[bold red]NO-GO[/]"
    failed = [r.id for r in report.results if not r.ok and r.severity is Severity.REQUIRED]
    console.print(
        f"{verdict}" + (f": required checks failed: {', '.join(failed)}" if failed else "")
    )


def page(report: Report) -> str:
    rows = "".join(
        f"<tr class='{'ok' if r.ok else r.severity.value}'><td>{'ok' if r.ok else 'FAIL'}</td>"
        f"<td>{html.escape(r.id)}</td><td>{html.escape(r.seed_item)}</td>"
        f"<td>{r.severity.value}</td><td>{html.escape(r.evidence)}</td>"
        f"<td>{html.escape(r.fix)}</td><td>{r.started_at:%H:%M:%S} +{r.seconds:.1f}s</td></tr>"
        for r in report.results
    )
    verdict = "GO" if report.ok else "NO-GO"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Steward preflight</title>"
        "<style>body{font:14px system-ui;margin:2rem}td,th{border:1px solid #ccc;padding:4px;"
        "vertical-align:top}.required{background:#fdd}.advisory{background:#ffd}</style></head>"
        f"<body><h1>{verdict}</h1><p>{html.escape(report.environment)} against "
        f"{html.escape(report.target)}</p><table><tr><th></th><th>check</th><th>covers</th>"
        "<th>severity</th><th>evidence</th><th>fix</th><th>at</th></tr>"
        f"{rows}</table></body></html>"
    )
