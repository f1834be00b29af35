"""Shared by the alerts tests: one real server per database and test module (starting one costs
seconds on PostgreSQL), on a test clock, with a local HTTP receiver for apprise's json:// channel;
``fresh`` empties the tables between tests so each starts from nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa

from steward.bootstrap import build
from steward.kit.clock import TestClock
from tests.support import ADMIN, Server, database, free_port, settings_for

NEVER = "0 0 0 1 1 *"  # the schedule stays out of the way; the tests sweep by hand
KEPT = {"domain_events", "audit_log"}  # append-only logs keep a deleted tenant's history
TABLES = [
    "alert_deliveries",
    "alert_history",
    "alerts",
    "alert_mutes",
    "audit_log",
    "tenant_timeline",
    "inbound_events",
    "flags",
    "operator_sessions",
    "operators",
]


class Receiver:
    """A local HTTP endpoint that records the JSON bodies apprise posts to it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        received = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class World:
    server: Server
    clock: TestClock
    rx: Receiver

    def fresh(self, channels: list[str] | None = None) -> None:
        with self.server.runtime.db.transaction() as session:
            for table in TABLES:
                session.execute(sa.text(f"DELETE FROM {table}"))
            session.execute(sa.text("DELETE FROM tenants"))
        self.rx.messages.clear()
        self.server.alerts.channels[:] = [self.rx.url] if channels is None else channels

    def tenant(self, name: str, phone: str | None = None) -> str:
        r = self.server.http.post(
            "/admin/api/tenants",
            json={"email": f"{name.split()[0].lower()}@example.com", "name": name, "phone": phone},
            headers=ADMIN,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def alerts(self, **params: Any) -> list[dict[str, Any]]:
        r = self.server.http.get("/admin/api/alerts", params=params, headers=ADMIN)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["shown"] == len(body["items"]) <= body["total"]
        return list(body["items"])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    product = getattr(request.module, "PRODUCT", None)
    extra: dict[str, Any] = {"product": product} if product else {}
    with database(request.param, tmp_path_factory.mktemp("db")) as db, Receiver() as rx:
        settings = settings_for(
            *db,
            port=free_port(),
            sandbox=False,
            alert_sweep_cron=NEVER,
            alert_delivery_backoff_seconds=0.05,
            alert_delivery_attempts=3,
            domain_queue_poll_seconds=0.05,
            alert_urls=rx.url,
            **extra,
        )
        clock = TestClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
        with Server(settings, build(settings, clock=clock)) as server:
            yield World(server, clock, rx)


def leftovers(server: Server, tenant_id: str) -> dict[str, int]:
    """Rows naming the tenant, in every table but the append-only logs."""
    found = {}
    with server.runtime.db.read() as session:
        inspector = sa.inspect(session.connection())
        for table in inspector.get_table_names():
            columns = {c["name"] for c in inspector.get_columns(table)}
            column = "id" if table == "tenants" else "tenant_id"
            if table in KEPT or column not in columns:
                continue
            n = session.execute(
                sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :t"), {"t": tenant_id}
            ).scalar_one()
            if n:
                found[table] = n
    return found
