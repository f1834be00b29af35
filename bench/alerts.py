"""Alert sweep and cockpit render benchmark: ``python -m bench.alerts``.

On a fresh database (SQLite file or a PostgreSQL schema, dropped afterwards):

1. Rule sweep: ``--tenants`` tenants of which ``--match`` (default 1 %) sit at the payment gate
   past the threshold; the time of the first sweep (opens every alert), then of steady sweeps
   (the same alerts persist: nothing is sent), the median of ``--runs``. Target: under 1 s.
2. Page renders: ``--events`` inbound events (mostly processed, some dead) beside the tenants;
   the alerts, tenants and events pages of the cockpit, requested ``--requests`` times each
   (first pages and a deep page, filters), timed in-process end to end through the ASGI app with
   an operator session; p50 and p95. Target: p95 under 200 ms.

Rows are bulk-inserted with executemany. Results are printed and written to
``bench/out/alerts-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from steward.alerts.service import AlertLog

OUT = Path(__file__).parent / "out"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _db(kind: str) -> tuple[str, Any]:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp()) / "bench.sqlite"
        return f"sqlite:///{path}", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    return f"{PG}?options=-csearch_path%3D{schema}", (admin, schema)


def _fill(db: Any, tenants: int, match: float, events: int, now: datetime) -> None:
    matching = int(tenants * match)
    batch = 10_000
    with db.engine.begin() as conn:
        rows = []
        for i in range(tenants):
            stuck = i < matching
            created = now - (timedelta(hours=3) if stuck else timedelta(minutes=30 + i % 600))
            rows.append(
                {
                    "id": f"ten_bench{i:08d}",
                    "email": f"t{i}@example.com",
                    "name": f"Tenant {i}",
                    "phone": None,
                    "plan": "starter",
                    "payment_status": "none" if stuck or i % 10 == 0 else "active",
                    "billing_status": "none" if stuck or i % 10 == 0 else "active",
                    "created_at": now - timedelta(days=30) + timedelta(seconds=i)
                    if not stuck
                    else created,
                    "updated_at": now,
                }
            )
            if not stuck and i % 10 == 0:  # unpaid but recent: must not match
                rows[-1]["created_at"] = now - timedelta(minutes=30)
            if len(rows) == batch:
                conn.execute(sa.text(_insert("tenants", rows[0])), rows)
                rows = []
        if rows:
            conn.execute(sa.text(_insert("tenants", rows[0])), rows)
    payload = json.dumps({"id": "evt", "type": "invoice.paid", "data": {"object": {"id": "in_1"}}})
    with db.engine.begin() as conn:
        rows = []
        for i in range(events):
            rows.append(
                {
                    "source": "stripe",
                    "external_id": f"evt_bench_{i}",
                    "type": ("invoice.paid", "customer.subscription.updated", "charge.succeeded")[
                        i % 3
                    ],
                    "status": "dead" if i % 5000 == 0 else "processed",
                    "payload": payload,
                    "received_at": now - timedelta(seconds=events - i),
                    "next_attempt_at": now - timedelta(seconds=events - i),
                    "attempts": 1,
                    "deliveries": 1,
                    "replays": 0,
                    "tenant_id": f"ten_bench{i % tenants:08d}",
                }
            )
            if len(rows) == batch:
                conn.execute(sa.text(_insert("inbound_events", rows[0])), rows)
                rows = []
        if rows:
            conn.execute(sa.text(_insert("inbound_events", rows[0])), rows)


def _insert(table: str, row: dict[str, Any]) -> str:
    cols = ", ".join(row)
    return f"INSERT INTO {table} ({cols}) VALUES ({', '.join(':' + c for c in row)})"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(
    kind: str, tenants: int, match: float, events: int, runs: int, requests: int
) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from steward import migrate
    from steward.app import create_app
    from steward.bootstrap import build
    from steward.config import Settings
    from steward.kit.clock import TestClock
    from steward.operators.service import create_operator

    url, pg = _db(kind)
    try:
        settings = Settings(
            database_url=url,
            dbos_schema="dbos",
            durable_engine=False,
            inbox_workers=0,
            sandbox=False,
            log_level="WARNING",
            auto_migrate=False,
            alert_urls="",
        )
        clock = TestClock(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
        steward = build(settings, clock=clock)
        migrate.up(steward.runtime.db)
        started = time.perf_counter()
        _fill(steward.runtime.db, tenants, match, events, clock.now())
        fill_s = time.perf_counter() - started
        if kind == "postgresql":
            with steward.runtime.db.engine.begin() as c:
                c.execute(sa.text("ANALYZE"))
        first = steward.runtime.service(AlertLog).sweep()
        steady = [steward.runtime.service(AlertLog).sweep() for _ in range(runs)]
        dead = len(range(0, events, 5000))  # every 5,000th event is dead-lettered
        assert first.opened == int(tenants * match) + dead, first
        assert all(s.matched == first.opened and s.opened == 0 for s in steady), steady
        create_operator(steward.runtime, "bench@example.com", "bench-password-123")
        app = create_app(settings, steward)
        pages = {
            "alerts": [
                "/cockpit/alerts",
                "/cockpit/alerts?severity=warning&alert_type=payment_gate",
                "/cockpit/alerts?status=all&offset=500",
            ],
            "tenants": [
                "/cockpit/tenants",
                "/cockpit/tenants?q=tenant 4242",
                "/cockpit/tenants?offset=5000",
            ],
            "events": [
                "/cockpit/events",
                "/cockpit/events?status=dead",
                "/cockpit/events?type=invoice.paid&offset=5000",
            ],
        }
        timings: dict[str, dict[str, float]] = {}
        with TestClient(app) as client:
            r = client.post(
                "/cockpit/login",
                data={"email": "bench@example.com", "password": "bench-password-123"},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            for name, paths in pages.items():
                samples = []
                for i in range(requests):
                    path = paths[i % len(paths)]
                    t0 = time.perf_counter()
                    resp = client.get(path)
                    samples.append((time.perf_counter() - t0) * 1000)
                    assert resp.status_code == 200, (path, resp.status_code)
                timings[name] = {
                    "p50_ms": round(_pct(samples, 0.5), 1),
                    "p95_ms": round(_pct(samples, 0.95), 1),
                    "max_ms": round(max(samples), 1),
                }
        return {
            "database": kind,
            "tenants": tenants,
            "matching": int(tenants * match),
            "events": events,
            "fill_seconds": round(fill_s, 1),
            "first_sweep_s": round(first.seconds, 3),
            "first_sweep_opened": first.opened,
            "steady_sweep_s_median": round(statistics.median(s.seconds for s in steady), 3),
            "steady_sweep_matched": steady[-1].matched,
            "pages": timings,
        }
    finally:
        if pg is not None:
            admin, schema = pg
            with admin.connect() as c:
                c.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--tenants", type=int, default=100_000)
    parser.add_argument("--match", type=float, default=0.01)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [
        run(k, args.tenants, args.match, args.events, args.runs, args.requests) for k in kinds
    ]
    OUT.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"alerts-{stamp}.json").write_text(json.dumps(results, indent=2))
    for r in results:
        print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
