"""Test support: databases (SQLite and PostgreSQL), a real server on a free port, signed events."""

from __future__ import annotations

import atexit
import copy
import itertools
import json
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import stripe
import uvicorn
from sqlalchemy.engine import make_url

from steward.alerts.service import AlertLog
from steward.config import Settings
from steward.inbox import repository as inbox_repo

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"  # our own recorded payloads: tests/fixtures/README.md
PG_URL = os.environ.get("STEWARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "whsec_test_secret_one"
OLD_SECRET = "whsec_test_secret_zero"
ADMIN = {"Authorization": "Bearer test-admin-token-0123456789"}


def _port_slice() -> range:
    """This process's ports: below the kernel's ephemeral range, so no bind(0) and no outgoing
    connection on the machine takes one between our pick and the server's bind, and split by
    xdist worker, so two workers of a run never pick the same one."""
    try:
        ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    size = (ephemeral - 20000) // max(workers, 1)
    if size < 100:
        return range(0)
    return range(20000 + worker * size, 20000 + (worker + 1) * size)


_ports = _port_slice()
_port_lock = threading.Lock()
_cursor = itertools.count(secrets.randbelow(len(_ports) or 1))  # never the shared `random`


def free_port() -> int:
    """A port nothing listens on now, taken in turn from this process's slice."""
    with _port_lock:
        for _ in range(len(_ports)):
            port = _ports[next(_cursor) % len(_ports)]
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    with socket.socket() as s:  # no room below the ephemeral range: let the kernel choose
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Each PostgreSQL test gets a database of its own, copied from a template in which DBOS's system
# schema is already migrated (about 0.2 s a copy, against seconds for DBOS's own migrations, which
# run under one server-wide advisory lock). Full isolation: ids, workflows, schedules.
_template_lock = threading.Lock()
_template: list[str] = []


def _admin_engine() -> sa.Engine:
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _pg_url(database: str) -> str:
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def _template_database() -> str:
    with _template_lock:
        if not _template:
            name = f"steward_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin = _admin_engine()
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {name}"))
            admin.dispose()
            from dbos import DBOS

            DBOS.migrate(_pg_url(name), schema="dbos")
            _template.append(name)
            atexit.register(_drop_database, name)
        return _template[0]


def _drop_database(name: str) -> None:
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[tuple[str, str]]:
    """A fresh database: (url, dbos schema)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/steward.sqlite", "dbos"
        return
    template = _template_database()
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    admin.dispose()
    try:
        yield _pg_url(name), "dbos"
    finally:
        _drop_database(name)


def settings_for(url: str, dbos_schema: str, port: int = 0, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "dbos_schema": dbos_schema,
        "admin_token": ADMIN["Authorization"].split()[1],
        "stripe_webhook_secrets": f"{SECRET},{OLD_SECRET}",
        "public_url": f"http://127.0.0.1:{port}",
        "inbox_poll_seconds": 0.05,
        "dbos_notification_poll_seconds": 0.05,  # a server stops within one poll
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.2,
        "log_level": "WARNING",
        "app_version": f"test-{uuid.uuid4().hex[:12]}",  # isolates DBOS work between tests
        "sandbox_smtp_port": free_port(),
    }
    values.update(overrides)
    return Settings(**values)


class Server:
    """Steward under a real uvicorn server in a thread."""

    def __init__(self, settings: Settings, steward: Any = None) -> None:
        from steward.app import create_app

        self.settings = settings
        self.app = create_app(settings, steward)
        self.steward = self.app.state.steward
        self.runtime = self.steward.runtime
        self.sandbox = self.app.state.sandboxes.stripe
        port = int(settings.public_url.rsplit(":", 1)[1])
        self.base_url = f"http://127.0.0.1:{port}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app, host="127.0.0.1", port=port, log_level="warning", access_log=False
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.http = httpx.Client(base_url=self.base_url, timeout=30)

    def __enter__(self) -> Server:
        self._thread.start()
        # DBOS migrates a fresh schema under one server-wide advisory lock: generous when
        # several test runs share the PostgreSQL server.
        deadline = time.monotonic() + 120
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()
        self._server.should_exit = True
        self._thread.join(30)

    def post_event(
        self, event: dict[str, Any], *, secret: str = SECRET, **kw: Any
    ) -> httpx.Response:
        body = json.dumps(event)
        headers = {"Stripe-Signature": sign(body, secret, **kw), "Content-Type": "application/json"}
        return self.http.post("/webhooks/stripe", content=body, headers=headers)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError("condition not reached in time")

    def event_status(self, external_id: str) -> str | None:
        r = self.http.get("/admin/api/events", params={"limit": 500}, headers=ADMIN)
        for item in r.json()["items"]:
            if item["external_id"] == external_id:
                return str(item["status"])
        return None

    @property
    def alerts(self) -> AlertLog:
        return self.runtime.service(AlertLog)

    def settled(self) -> bool:
        with self.runtime.db.read() as session:
            backlog = inbox_repo.backlog(session)
        return backlog.pending + backlog.retrying == 0


def sign(body: str, secret: str = SECRET, timestamp: int | None = None) -> str:
    return str(stripe.WebhookSignature.generate_signature_header(body, secret, timestamp))


def fixture(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "stripe" / path).read_text())
    return data


def recorded_object(path: str) -> dict[str, Any]:
    """The Stripe object in a recorded file: a bare object, {object: ...} or a whole event."""
    raw = fixture(path)
    if isinstance(raw.get("object"), dict):
        return dict(raw["object"])
    if isinstance(raw.get("data"), dict):
        return dict(raw["data"]["object"])
    return raw


def event(
    type: str, obj: dict[str, Any], *, created: int | None = None, id: str | None = None
) -> dict[str, Any]:
    """A Stripe event envelope around a recorded object."""
    return {
        "id": id or f"evt_test_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": type,
        "data": {"object": copy.deepcopy(obj)},
    }


def checkout_completed(
    tenant_id: str | None, *, created: int | None = None, **changes: Any
) -> dict[str, Any]:
    """The sandbox's recorded checkout session, pointed at a tenant."""
    obj = recorded_object("checkout/checkout.session.completed.json")
    obj["client_reference_id"] = tenant_id
    obj.update(changes)
    return event("checkout.session.completed", obj, created=created)


def subscription_event(
    type: str, *, status: str, sub_id: str, customer: str, tenant_id: str, created: int
) -> dict[str, Any]:
    obj = recorded_object("checkout/customer.subscription.created.json")
    obj.update(id=sub_id, customer=customer, status=status, metadata={"tenant_id": tenant_id})
    return event(type, obj, created=created)
