"""``steward preflight``: each check broken on purpose fails with its fix, and the synthetic
customer journey passes against a running server."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
import stripe
from examples.givrwrld import preflight as givrwrld
from examples.jobrun import preflight as jobrun
from examples.syston import preflight as syston
from examples.voxanne import preflight as voxanne
from typer.testing import CliRunner

from steward import migrate
from steward.bootstrap import build
from steward.checks import Probe
from steward.cli import app
from steward.executors import T as EXECUTORS
from steward.preflight import runner
from tests.support import ADMIN, Server, free_port, settings_for


def _probe(server: Server, **kw: object) -> Probe:
    values: dict[str, object] = {
        "runtime": server.runtime,
        "target": server.base_url,
        "admin_token": ADMIN["Authorization"].split()[1],
        "environment": "development",
        "timeout": 60.0,
    }
    values.update(kw)
    return Probe(**values)  # type: ignore[arg-type]


def _results(probe: Probe, *ids: str) -> dict[str, runner.Result]:
    report = runner.run(runner.select(runner.BUILTIN, ids), probe)
    return {r.id: r for r in report.results}


def test_each_check_broken_on_purpose_fails_with_its_fix(db: tuple[str, str]) -> None:
    settings = settings_for(
        *db, port=free_port(), executor_heartbeat_seconds=60, alert_urls="json://127.0.0.1:9/x"
    )
    with Server(settings) as server:
        probe = _probe(server)
        ids = (
            "db.reachable",
            "db.migrations",
            "db.models",
            "engine.workers",
            "inbox.backlog",
            "flags.expected",
            "stripe.webhook_endpoint",
            "stripe.prices",
            "http.webhooks",
            "stripe.key_mode",
            "journey.purchase",
        )
        healthy = _results(probe, *ids)
        failed = [(r.id, r.evidence) for r in healthy.values() if not r.ok]
        assert not failed, failed
        assert "hard-deleted" in healthy["journey.purchase"].evidence

        # A kill switch off.
        r = server.http.put(
            "/admin/api/flags/checkout", json={"enabled": False, "reason": "t"}, headers=ADMIN
        )
        assert r.status_code == 200
        flag = _results(probe, "flags.expected")["flags.expected"]
        assert not flag.ok and "checkout=off" in flag.evidence and "flags/checkout" in flag.fix

        # Stripe's endpoint at our URL lacks an event type our handlers need.
        client = stripe.StripeClient(
            "sk_test_x", base_addresses={"api": server.base_url + "/sandbox/stripe"}
        )
        prices = client.v1.prices.list({"limit": 100, "currency": "gbp"}).data
        assert prices and all(p.object == "price" and p.currency == "gbp" for p in prices)
        for endpoint in client.v1.webhook_endpoints.list().data:
            client.v1.webhook_endpoints.delete(endpoint.id)
        needed = server.runtime.service(runner.stripe_checks.Inbox).registry.types("stripe")
        client.v1.webhook_endpoints.create(
            {"url": server.base_url + "/webhooks/stripe", "enabled_events": needed[1:]}
        )
        hook = _results(probe, "stripe.webhook_endpoint")["stripe.webhook_endpoint"]
        assert not hook.ok and needed[0] in hook.fix

        # A process that stopped beating.
        old = server.runtime.clock.now() - timedelta(minutes=10)
        with server.runtime.db.transaction() as session:
            session.execute(
                sa.insert(EXECUTORS).values(
                    id="dead-worker",
                    role="worker",
                    app_version="x",
                    started_at=old,
                    heartbeat_at=old,
                )
            )
        beat = _results(probe, "engine.workers")["engine.workers"]
        assert not beat.ok and "1 stale" in beat.evidence and beat.fix

        # An alert channel that cannot be reached, tested only when asked.
        quiet = _results(probe, "alerts.channels")["alerts.channels"]
        assert quiet.ok and "not sent" in quiet.evidence
        loud = _results(_probe(server, notify=True), "alerts.channels")["alerts.channels"]
        assert not loud.ok and "failed" in loud.evidence and "channel" in loud.fix
        assert loud.severity.value == "advisory"  # production-only item, run in development

        # The development secrets are placeholders for production.
        secret = _results(probe, "config.secrets")["config.secrets"]
        assert not secret.ok and "STEWARD_" in secret.evidence and secret.fix
        report = runner.run(
            runner.select(runner.BUILTIN, ["config.secrets"]),
            _probe(server, environment="production"),
        )
        assert not report.ok and report.results[0].severity.value == "required"

        # The examples' own checks, against the same server (the demo product).
        own = (*jobrun.CHECKS, *givrwrld.CHECKS, *voxanne.CHECKS, *syston.CHECKS)
        found = {r.id: r for r in runner.run(own, probe).results}
        assert not found["jobrun.number_pool"].ok and "pool add" in found["jobrun.number_pool"].fix
        assert not found["jobrun.founder_sms"].ok
        assert found["givrwrld.tenant_api_token"].ok, found["givrwrld.tenant_api_token"]
        hook_test = found["voxanne.test_webhook"]
        assert "200 in" in hook_test.evidence and "then ignored" in hook_test.evidence, hook_test
        assert found["voxanne.retry_policy"].ok
        assert found["syston.success_rate"].ok and found["syston.p95_time"].ok
        assert found["syston.not_dry_run"].ok


def test_a_migration_behind_fails_and_the_cli_exits_1(db: tuple[str, str]) -> None:
    settings = settings_for(*db, port=free_port())
    steward = build(settings)
    try:
        migrate.up(steward.runtime.db)
        probe = Probe(steward.runtime, settings.public_url, "t", "development")
        assert _results(probe, "db.migrations")["db.migrations"].ok
        migrate.down(steward.runtime.db, "alerts@-1")
        behind = _results(probe, "db.migrations")["db.migrations"]
        assert not behind.ok and "steward migrate up" in behind.fix
    finally:
        steward.runtime.db.dispose()

    env = {"STEWARD_DATABASE_URL": settings.database_url, "STEWARD_DBOS_SCHEMA": db[1]}
    result = CliRunner().invoke(app, ["preflight", "--json", "--only", "db.migrations"], env=env)
    assert result.exit_code == 1, result.output
    body = json.loads(result.output)
    assert body["ok"] is False and body["checks"][0]["id"] == "db.migrations"
    assert body["checks"][0]["fix"]
    bad = CliRunner().invoke(app, ["preflight", "--only", "no.such.check"], env=env)
    assert bad.exit_code == 2
