"""Provisioning benchmark: ``python -m bench.provisioning [--runs 1000] [--db sqlite]``.

Syston's starter flow (seed defaults → routing → validate the Make.com webhook against a local
HTTP server → the magic link through SMTP to the sandbox mail sink) on a real Steward server
(uvicorn in this process, DBOS, a fresh database), with the repository's default settings.

1. Latency: ``--runs`` tenants are activated one after another, as the payment handler does at
   the moment a payment is applied (``tenant.activated`` published in the transaction that
   applies it); the latency of each is the run's ``finished_at`` minus that event's
   ``created_at`` (both Steward's clock, in the database). p50, p95, max. Target: p95 < 300 ms
   on SQLite (Syston: ~290 ms average, < 500 ms p95).
2. Throughput: ``--runs`` more tenants activated at once (one transaction); runs completed per
   second from the commit until the last run is complete.

Printed and written to ``bench/out/provisioning-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa

OUT = Path(__file__).parent / "out"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PRODUCT = "examples.syston.product:product"


class Hook(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _tenants(server: Any, n: int, hook: str, tag: str) -> list[str]:
    from steward.provisioning import repository as prov_repo
    from steward.tenants.models import BillingStatus, PaymentStatus, Tenant

    steward = server.steward
    ids = [f"ten_bench_{tag}_{i:05d}" for i in range(n)]
    now = steward.runtime.clock.now()
    with steward.runtime.db.transaction() as session:
        for tid in ids:
            session.add(
                Tenant(
                    id=tid,
                    email=f"{tid}@syston.example",
                    name=f"Club {tid[-5:]}",
                    phone=None,
                    plan="starter",
                    payment_status=PaymentStatus.ACTIVE,
                    billing_status=BillingStatus.ACTIVE,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        for tid in ids:
            prov_repo.put_input(session, tid, "make_webhook_url", hook, now)
    return ids


def _activate(server: Any, tenant_ids: list[str]) -> None:
    steward = server.steward
    with steward.runtime.db.transaction() as session:
        for tid in tenant_ids:
            steward.runtime.bus.publish(
                session, "tenant.activated", tenant_id=tid, data={"plan": "starter"}
            )


def _finished(server: Any, tenant_ids: list[str]) -> dict[str, float]:
    """tenant -> latency in seconds (run finished_at - tenant.activated created_at)."""
    from steward.events.models import DomainEvent
    from steward.provisioning.models import Run, RunState

    with server.runtime.db.read() as session:
        rows = session.execute(
            sa.select(Run.tenant_id, Run.finished_at, DomainEvent.created_at)
            .join(DomainEvent, DomainEvent.id == Run.cause_event_id)
            .where(Run.tenant_id.in_(tenant_ids), Run.state == RunState.COMPLETE)
        ).all()
    return {t: (f - c).total_seconds() for t, f, c in rows}


def _failed(server: Any) -> int:
    from steward.provisioning.models import Run, RunState

    with server.runtime.db.read() as session:
        return len(session.execute(sa.select(Run.id).where(Run.state == RunState.FAILED)).all())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    from tests.support import Server, database, free_port, settings_for

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    result: dict[str, Any] = {"db": args.db, "runs": args.runs, "flow": "syston starter"}
    with database(args.db, Path(tempfile.mkdtemp())) as db:
        settings = settings_for(
            *db,
            port=free_port(),
            product=PRODUCT,
            webhook_check_allow_private=True,
            log_level="ERROR",
            app_version=f"bench-{uuid.uuid4().hex[:8]}",
        )
        result["settings"] = {
            "domain_queue_poll_seconds": settings.domain_queue_poll_seconds,
            "domain_queue_concurrency": settings.domain_queue_concurrency,
        }
        with Server(settings) as server:
            # 1. latency, one activation after another
            one_by_one = _tenants(server, args.runs, hook, "seq")
            for tid in one_by_one:
                _activate(server, [tid])
                deadline = time.monotonic() + 30
                while tid not in _finished(server, [tid]):
                    if time.monotonic() > deadline:
                        raise SystemExit(
                            f"run of {tid} did not complete ({_failed(server)} failed)"
                        )
                    time.sleep(0.005)
            lat = sorted(_finished(server, one_by_one).values())
            q = statistics.quantiles(lat, n=100)
            result["latency_ms"] = {
                "p50": round(q[49] * 1000, 1),
                "p95": round(q[94] * 1000, 1),
                "max": round(lat[-1] * 1000, 1),
                "mean": round(statistics.mean(lat) * 1000, 1),
            }
            print("latency (payment applied -> complete):", result["latency_ms"], flush=True)

            # 2. throughput, all at once
            burst = _tenants(server, args.runs, hook, "burst")
            started = time.monotonic()
            _activate(server, burst)
            deadline = started + 1800
            while len(_finished(server, burst)) < len(burst):
                if time.monotonic() > deadline:
                    raise SystemExit("the burst did not complete in 30 minutes")
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            result["burst"] = {
                "runs": len(burst),
                "seconds": round(elapsed, 2),
                "runs_per_second": round(len(burst) / elapsed, 1),
                "failed": _failed(server),
            }
            print("burst:", result["burst"], flush=True)
            sink = server.app.state.sandboxes.mail
            result["magic_links_received"] = len(sink.messages) if sink is not None else None
    httpd.shutdown()
    OUT.mkdir(exist_ok=True)
    out = OUT / f"provisioning-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
