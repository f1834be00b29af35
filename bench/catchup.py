"""Catch-up of missed Stripe events: time and peak memory.

    python -m bench.catchup [--events 100000] [--db sqlite|postgresql|both]

The Stripe sandbox runs in its own process with N events recorded (never delivered, as if every
webhook had been lost) and serves Stripe's events API over HTTP. Steward, in this process, pages
through it with the stripe SDK and stores every event in its inbox. Reported: wall time, events
per second, and this process's peak RSS (and its growth over the RSS before the run)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

PG = os.environ.get("STEWARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def serve_sandbox(events: int, port: int) -> None:
    import uvicorn

    from steward.providers.stripe.sandbox import StripeSandbox

    sandbox = StripeSandbox(webhook_url="http://127.0.0.1:9/none", webhook_secret="whsec_bench")
    sandbox.store.on_event = lambda event: None  # recorded, never delivered
    for i in range(events):
        sandbox.store.emit(
            "customer.updated",
            {
                "id": f"cus_{i:08d}",
                "object": "customer",
                "email": f"c{i}@example.com",
                "metadata": {},
            },
        )
    uvicorn.run(sandbox.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(kind: str, port: int, expected: int) -> dict[str, float | str]:
    from steward import migrate
    from steward.bootstrap import build
    from steward.config import Settings
    from steward.subscriptions import sync

    tmp = tempfile.mkdtemp()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    if kind == "sqlite":
        url = f"sqlite:///{tmp}/catchup.sqlite"
    else:
        admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        url = f"{PG}?options=-csearch_path%3D{schema}"
    try:
        settings = Settings(
            database_url=url,
            sandbox=False,
            log_level="WARNING",
            stripe_api_base=f"http://127.0.0.1:{port}",
            stripe_api_key="sk_test_bench",
        )
        steward = build(settings)
        migrate.up(steward.runtime.db)
        before = rss_mb()
        started = time.perf_counter()
        report = sync.catch_up(steward.runtime, timedelta(days=1))
        elapsed = time.perf_counter() - started
        with steward.runtime.db.read() as session:
            stored = session.execute(sa.text("SELECT count(*) FROM inbound_events")).scalar_one()
        steward.runtime.db.dispose()
        assert report.ingested == expected == stored, (report, stored)
        return {
            "db": kind,
            "events": expected,
            "seconds": round(elapsed, 1),
            "events_per_s": round(expected / elapsed),
            "peak_rss_mb": round(rss_mb(), 1),
            "rss_growth_mb": round(rss_mb() - before, 1),
        }
    finally:
        if kind == "postgresql":
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--serve", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_sandbox(*args.serve)
        return
    from tests.support import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.catchup", "--serve", str(args.events), str(port)],
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                httpx.get(
                    f"http://127.0.0.1:{port}/v1/events?limit=1",
                    headers={"Authorization": "Bearer sk_test_bench"},
                    timeout=2,
                )
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the sandbox did not start") from None
                time.sleep(0.5)
        kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
        # One database per process run keeps peak RSS honest: run the others in children.
        if len(kinds) > 1:
            for kind in kinds:
                out = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        f"import json,bench.catchup as b; print(json.dumps("
                        f"b.run_one({kind!r}, {port}, {args.events})))",
                    ],
                    cwd=Path(__file__).resolve().parents[1],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                print(out.stdout.strip().splitlines()[-1])
        else:
            print(json.dumps(run_one(kinds[0], port, args.events)))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
