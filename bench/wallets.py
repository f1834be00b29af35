"""Debits per second on ONE hot wallet with N concurrent writers: Steward's guarded UPDATE
ledger (``steward.wallets.ledger.post``) against the plain row-locked baseline (SELECT ... FOR
UPDATE, check, insert, update), measured in the same run, on PostgreSQL and SQLite.

    python -m bench.wallets [--seconds 5] [--writers 32] [--pg URL]

Each run ends by checking the ledger: balance = sum of entries, never below minus the limit."""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tests.support import PG_URL, database, settings_for

from steward import migrate
from steward.bootstrap import build
from steward.db import Database
from steward.tenants import service as tenants
from steward.wallets import ledger, service
from steward.wallets.batcher import LedgerBatcher
from steward.wallets.models import EntryKind, Wallet, WalletEntry


def row_locked(session: Any, wallet_id: str, amount: int, key: str, now: Any) -> bool:
    """The baseline: lock the row, look the key up, check, insert, update."""
    wallet = session.execute(
        sa.select(Wallet).where(Wallet.id == wallet_id).with_for_update()
    ).scalar_one()
    seen = session.execute(
        sa.select(WalletEntry.id).where(
            WalletEntry.wallet_id == wallet_id, WalletEntry.idempotency_key == key
        )
    ).scalar_one_or_none()
    if seen is not None:
        return True
    if wallet.balance + amount < -wallet.debt_limit:
        return False
    wallet.balance += amount
    session.add(
        WalletEntry(
            wallet_id=wallet_id,
            kind=EntryKind.USAGE,
            outcome="applied",
            amount=amount,
            requested=amount,
            balance_after=wallet.balance,
            debt_limit=wallet.debt_limit,
            idempotency_key=key,
            description="",
            created_at=now,
        )
    )
    return True


def writer(
    steward: Any,
    batcher: LedgerBatcher,
    strategy: str,
    wallet_id: str,
    counter: Any,
    barrier: threading.Barrier,
    done: list[int],
    seconds: float,
    n: int,
) -> None:
    barrier.wait()
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        key = f"d{next(counter)}"
        if strategy == "batched":
            batcher.post(wallet_id, kind=EntryKind.USAGE, amount=-1, key=key)
            done[n] += 1
            continue
        with steward.runtime.db.transaction() as s:
            if strategy == "row_lock":
                row_locked(s, wallet_id, -1, key, steward.runtime.clock.now())
            else:
                ledger.post(
                    s,
                    wallet_id,
                    kind=EntryKind.USAGE,
                    amount=-1,
                    key=key,
                    now=steward.runtime.clock.now(),
                )
        done[n] += 1


def run(kind: str, url: str, schema: str, writers: int, seconds: float) -> dict[str, Any]:
    steward = build(settings_for(url, schema, sandbox=False))
    migrate.up(steward.runtime.db)
    steward.runtime.db.dispose()
    steward.runtime.db = Database(url, pool_size=writers + 2, max_overflow=4)
    out: dict[str, Any] = {"database": kind}
    try:
        batcher = LedgerBatcher(steward.runtime.db, steward.runtime.clock)
        for strategy in ("row_lock", "guarded_update", "batched"):
            with steward.runtime.db.transaction() as s:
                new = tenants.NewTenant(email=f"{uuid.uuid4().hex[:6]}@x.io", name="b")
                t = tenants.create(s, steward.runtime.product, steward.runtime.clock, new)
                wallet_id = service.wallet_for(steward.runtime, s, t.id, "gbp").id
                now = steward.runtime.clock.now()
                ledger.post(s, wallet_id, kind=EntryKind.TOPUP, amount=10**9, key="seed", now=now)
            done = [0] * writers
            barrier = threading.Barrier(writers)
            args = (
                steward,
                batcher,
                strategy,
                wallet_id,
                itertools.count(),
                barrier,
                done,
                seconds,
            )
            started = time.monotonic()
            threads = [threading.Thread(target=writer, args=(*args, i)) for i in range(writers)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            elapsed = time.monotonic() - started
            with steward.runtime.db.read() as s:
                balance, limit = s.execute(
                    sa.select(Wallet.balance, Wallet.debt_limit).where(Wallet.id == wallet_id)
                ).one()
                total = s.execute(
                    sa.select(sa.func.sum(WalletEntry.amount)).where(
                        WalletEntry.wallet_id == wallet_id
                    )
                ).scalar_one()
            assert balance == total and balance >= -limit, "ledger invariant broken"
            out[strategy] = round(sum(done) / elapsed, 1)
    finally:
        steward.runtime.db.dispose()
    return out


PREBILL = {
    "postgresql": (
        "INSERT INTO usage_records (tenant_id, wallet_id, meter, external_id, quantity, amount, "
        "source, status, created_at) SELECT :t, :w, 'voice_minutes', "
        "'call_syn_' || lpad(i::text, 8, '0'), 95, 98, 'webhook', 'paid', now() "
        "FROM generate_series(0, :n - 1) AS i WHERE i % 100 >= :missed"
    ),
    "sqlite": (
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < :n - 1) "
        "INSERT INTO usage_records (tenant_id, wallet_id, meter, external_id, quantity, amount, "
        "source, status, created_at) SELECT :t, :w, 'voice_minutes', printf('call_syn_%08d', i), "
        "95, 98, 'webhook', 'paid', datetime('now') FROM s WHERE i % 100 >= :missed"
    ),
}


def reconcile_bench(kind: str, url: str, schema: str, count: int, missed: int) -> dict[str, Any]:
    """Reconcile ``count`` synthetic provider records, ``missed`` % of them never billed."""
    import resource
    from datetime import UTC, datetime, timedelta

    import uvicorn
    from tests.support import free_port

    from steward.providers.vapi.sandbox import Synthetic, VapiSandbox
    from steward.wallets import reconcile, reconcile_repository

    port = free_port()
    settings = settings_for(
        url,
        schema,
        sandbox=False,
        reconcile_page_size=1000,
        product="examples.voxanne.product:product",
        vapi_api_base=f"http://127.0.0.1:{port}",
    )
    steward = build(settings)
    migrate.up(steward.runtime.db)
    sandbox = VapiSandbox("http://127.0.0.1:9/none", "s", settings.vapi_api_key)
    server = uvicorn.Server(uvicorn.Config(sandbox.app, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    with steward.runtime.db.transaction() as s:
        t = tenants.create(
            s,
            steward.runtime.product,
            steward.runtime.clock,
            tenants.NewTenant(email="bench@x.io", name="bench"),
        )
        tenant_id = t.id
        wallet_id = service.wallet_for(steward.runtime, s, tenant_id, "gbp").id
        ledger.post(
            s,
            wallet_id,
            kind=EntryKind.TOPUP,
            amount=10**12,
            key="seed",
            now=steward.runtime.clock.now(),
        )
    started = time.monotonic()
    with steward.runtime.db.transaction() as s:
        s.execute(
            sa.text(PREBILL[kind]), {"t": tenant_id, "w": wallet_id, "n": count, "missed": missed}
        )
    prebill = time.monotonic() - started
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sandbox.synthetic(Synthetic(count, start, timedelta(seconds=1), [tenant_id]))
    # no durable engine here: the gap event has no subscriber
    steward.runtime.bus._subscribers.clear()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.monotonic()
    run_id = "rec_bench"
    with steward.runtime.db.transaction() as s:
        reconcile_repository.open_run(
            s, run_id, "vapi", start, start + timedelta(days=30), steward.runtime.clock.now()
        )
    while not reconcile.process_page(steward.runtime, run_id):
        pass
    report = reconcile.finish(steward.runtime, run_id)
    elapsed = time.monotonic() - started
    server.should_exit = True
    steward.runtime.db.dispose()
    return {
        "database": kind,
        "records": count,
        "missed_percent": missed,
        "prebill_seconds": round(prebill, 1),
        "reconcile_seconds": round(elapsed, 1),
        "records_per_second": round(count / elapsed),
        "newly_billed": report.newly_billed,
        "already_billed": report.already_billed,
        "pages": report.pages,
        "peak_rss_mb_before": round(rss_before),
        "peak_rss_mb_after": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--reconcile", type=int, default=0, help="records (0: debit bench)")
    parser.add_argument("--missed", type=int, default=3, help="percent never billed")
    parser.add_argument("--db", default="postgresql,sqlite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    if args.reconcile:
        for kind in args.db.split(","):
            with database(kind, tmp) as (url, schema):
                print(reconcile_bench(kind, url, schema, args.reconcile, args.missed), flush=True)
        return
    for kind in ("postgresql", "sqlite"):
        with database(kind, tmp) as (url, schema):
            print(run(kind, url, schema, args.writers, args.seconds), flush=True)
    print(f"(PostgreSQL at {PG_URL}; {args.writers} writers; {args.seconds} s each)")


if __name__ == "__main__":
    main()
