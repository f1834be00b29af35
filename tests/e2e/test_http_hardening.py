"""HTTP hardening in production mode: HSTS, no /docs, no-store on API answers, operator-only
metrics and backlog figures; and the same routes answering freely in development."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from steward.config import Mode
from tests.support import Server, free_port, settings_for
from tests.unit.test_inbox_rules import REAL

TOKEN = REAL["admin_token"]


@contextmanager
def _client(db: tuple[str, str], mode: Mode) -> Iterator[httpx.Client]:
    values = dict(REAL) | {"mode": mode, "sandbox": False, "durable_engine": False}
    with Server(settings_for(*db, port=free_port(), **values)) as server:
        yield server.http


def test_production_answers_with_hsts_and_without_docs(db: tuple[str, str]) -> None:
    with _client(db, Mode.PRODUCTION) as client:
        r = client.get("/healthz")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 200  # the contract stays public


def test_api_answers_are_never_cached(db: tuple[str, str]) -> None:
    with _client(db, Mode.PRODUCTION) as client:
        r = client.post("/admin/api/tenants", json={}, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401
        assert r.headers["cache-control"] == "no-store"
        assert client.get("/api/v1/entitlements").headers["cache-control"] == "no-store"


def test_production_metrics_and_backlog_are_for_operators(db: tuple[str, str]) -> None:
    with _client(db, Mode.PRODUCTION) as client:
        assert client.get("/metrics").status_code == 401
        anonymous = client.get("/readyz").json()
        assert set(anonymous) == {"status"}
        detailed = client.get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert "database" in detailed
        wrong = client.get("/metrics", headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 401  # a wrong token is no operator either
        assert (
            client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        )


def test_development_keeps_docs_and_open_metrics(db: tuple[str, str]) -> None:
    with _client(db, Mode.DEVELOPMENT) as client:
        assert client.get("/docs").status_code == 200
        assert "strict-transport-security" not in client.get("/healthz").headers
