"""``steward alerts``, ``steward flags``, ``steward audit``, ``steward operator`` and
``steward tenants delete``: every cockpit action from the command line."""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from steward import migrate
from steward.alerts import channels
from steward.alerts import repository as repo
from steward.alerts.models import AlertDelivery, AlertStatus
from steward.alerts.service import AlertLog
from steward.audit import service as audit
from steward.clikit import console, err, runtime, with_client
from steward.cockpit.delete import delete_tenant
from steward.errors import StewardError
from steward.operators.service import create_operator

alerts_app = typer.Typer(
    help="Operator alerts: list, sweep, acknowledge, test channels.", no_args_is_help=True
)
flags_app = typer.Typer(help="Kill switches.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of operator actions.", no_args_is_help=True)
operator_app = typer.Typer(help="Cockpit operators.", no_args_is_help=True)
tenants_app = typer.Typer(help="Tenant operator actions.", no_args_is_help=True)

ACTOR = os.environ.get("USER", "cli")


def _actor() -> str:
    return f"cli:{ACTOR}"


@alerts_app.command("list")
def alerts_list(
    status: Annotated[str | None, typer.Option(help="open, acknowledged, resolved")] = None,
    rule: Annotated[str | None, typer.Option(help="A rule key, e.g. payment_gate")] = None,
    severity: Annotated[str | None, typer.Option(help="info, warning, critical")] = None,
    limit: int = 50,
) -> None:
    """List alerts, newest first."""
    try:
        wanted = AlertStatus(status) if status else None
    except ValueError:
        raise StewardError(
            f"unknown status {status!r}; use open, acknowledged or resolved"
        ) from None
    rt = runtime()
    with rt.db.read() as session:
        rows, total = repo.search(
            session, repo.AlertFilter(rule, severity, None, None, wanted), limit=limit
        )
    table = Table(title=f"{len(rows)} of {total} alerts")
    for col in ("id", "severity", "status", "rule", "resource", "message"):
        table.add_column(col)
    for a in rows:
        table.add_row(str(a.id), a.severity, a.status.value, a.rule, a.resource_id, a.message[:70])
    console.print(table)


@alerts_app.command("sweep")
def alerts_sweep() -> None:
    """Evaluate every rule now and print what changed (notifications need a running engine)."""
    with with_client() as rt:
        report = rt.service(AlertLog).sweep()
    console.print(json.dumps(report.__dict__), highlight=False)


@alerts_app.command("ack")
def alerts_ack(alert_id: int) -> None:
    """Acknowledge an alert."""
    alert = runtime().service(AlertLog).acknowledge(alert_id, actor=_actor())
    console.print(f"alert {alert.id} acknowledged")


@alerts_app.command("resolve")
def alerts_resolve(alert_id: int) -> None:
    """Resolve an alert."""
    alert = runtime().service(AlertLog).resolve(alert_id, actor=_actor())
    console.print(f"alert {alert.id} resolved")


@alerts_app.command("mute")
def alerts_mute(
    tenant_id: str,
    minutes: Annotated[
        int | None, typer.Option(help="Mute for this long; default: until unmuted")
    ] = None,
    reason: str = "",
    off: Annotated[bool, typer.Option("--off", help="Unmute instead")] = False,
) -> None:
    """Mute (or --off: unmute) a tenant's alerts."""
    rt = runtime()
    if off:
        rt.service(AlertLog).unmute(tenant_id, actor=_actor())
        console.print(f"tenant {tenant_id} unmuted")
        return
    until = rt.clock.now() + timedelta(minutes=minutes) if minutes else None
    rt.service(AlertLog).mute(tenant_id, actor=_actor(), until=until, reason=reason)
    console.print(
        f"tenant {tenant_id} muted" + (f" until {until:%Y-%m-%d %H:%M} UTC" if until else "")
    )


@alerts_app.command("reset")
def alerts_reset(
    tenant_id: str, kind: Annotated[str, typer.Argument(help="payment or stuck")]
) -> None:
    """Close a tenant's payment-gate (payment) or stuck (stuck) alerts."""
    closed = runtime().service(AlertLog).reset(tenant_id, kind, actor=_actor())
    console.print(f"{len(closed)} alert(s) closed: {closed}")


@alerts_app.command("test")
def alerts_test() -> None:
    """Send a test alert to every channel of STEWARD_ALERT_URLS and each rule; report each."""
    rt = runtime()
    alerts = rt.service(AlertLog)
    urls = list(dict.fromkeys(u for r in alerts.rules.values() for u in alerts.channels_for(r)))
    if not urls:
        err.print("no channel configured: set STEWARD_ALERT_URLS (apprise URLs)")
        sys.exit(1)
    key = f"test-{rt.clock.now():%Y%m%dT%H%M%S}"
    failed = 0
    for url in urls:
        result = channels.send(
            url,
            "[INFO] Steward test alert",
            f"A test from `steward alerts test`.\nref: {key}",
            "info",
            runtime=rt,
        )
        with rt.db.transaction() as session:
            repo.add_delivery(
                session,
                AlertDelivery(
                    alert_id=None,
                    notification=key,
                    channel=result.channel,
                    attempt=1,
                    ok=result.ok,
                    error=result.error,
                    at=rt.clock.now(),
                ),
            )
        failed += not result.ok
        mark = "[green]ok[/]" if result.ok else f"[red]FAILED[/] {result.error}"
        console.print(f"{result.channel}: {mark}", highlight=False)
    if failed:
        err.print(f"{failed} of {len(urls)} channel(s) failed")
        sys.exit(1)


@flags_app.command("list")
def flags_list() -> None:
    """Every kill switch with its state and failure mode."""
    table = Table(title="kill switches")
    for col in ("name", "state", "fails", "reason", "by", "what"):
        table.add_column(col)
    for s in runtime().flags.states():
        table.add_row(
            s.name,
            "on" if s.enabled else "OFF",
            s.failure_mode.value,
            s.reason,
            s.updated_by,
            s.description,
        )
    console.print(table)


@flags_app.command("on")
def flags_on(name: str, reason: str = "") -> None:
    """Switch a feature on."""
    _set(name, True, reason)


@flags_app.command("off")
def flags_off(name: str, reason: str = "") -> None:
    """Switch a feature off (seen by every process within a second)."""
    _set(name, False, reason)


def _set(name: str, enabled: bool, reason: str) -> None:

    state = runtime().flags.set(name, enabled, actor=_actor(), reason=reason)
    console.print(f"{state.name} is {'on' if state.enabled else 'OFF'}")


@audit_app.command("list")
def audit_list(target: str | None = None, actor: str | None = None, limit: int = 50) -> None:
    """Operator actions, newest first."""
    with runtime().db.read() as session:
        rows, total = audit.search(session, target=target, actor=actor, limit=limit)
    table = Table(title=f"{len(rows)} of {total} audit entries")
    for col in ("at", "actor", "action", "target", "before", "after"):
        table.add_column(col)
    for r in rows:
        table.add_row(f"{r.at:%Y-%m-%d %H:%M:%S}", r.actor, r.action, r.target, r.before, r.after)
    console.print(table)


@operator_app.command("create")
def operator_create(email: str) -> None:
    """Create a cockpit operator. The password is read from STEWARD_OPERATOR_PASSWORD, else a
    one-time token is generated and printed once."""
    rt = runtime()
    if rt.settings.auto_migrate:
        migrate.up(rt.db)
    given = os.environ.get("STEWARD_OPERATOR_PASSWORD") or None
    password = create_operator(rt, email, given)
    if given:
        console.print(f"operator {email} created")
    else:
        console.print(
            f"operator {email} created; sign-in token (shown once): {password}", highlight=False
        )


@tenants_app.command("delete")
def tenants_delete(
    tenant_id: str,
    confirm: Annotated[str, typer.Option(help="The tenant's business name, exactly")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only")] = False,
) -> None:
    """Hard-delete a tenant once its safety checks pass."""
    with with_client() as rt:
        plan = delete_tenant(rt, tenant_id, confirm=confirm, actor=_actor(), dry_run=dry_run)
    console.print(json.dumps(plan.as_dict(), indent=2), highlight=False)
