"""The ledger on both databases: the debt limit, idempotent replays (refusals included), the
balance = sum of the ledger invariant under concurrency (property test), and 32 writers."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward import migrate
from steward.bootstrap import Steward, build
from steward.db import Database
from steward.tenants import service as tenants
from steward.wallets import ledger, service
from steward.wallets.errors import DebitRefused, KeyReused
from steward.wallets.models import EntryKind, Outcome
from tests.support import database, settings_for


def make_steward(url: str, schema: str) -> Steward:
    steward = build(settings_for(url, schema, sandbox=False))
    migrate.up(steward.runtime.db)
    return steward


@pytest.fixture
def steward(db: tuple[str, str]) -> Iterator[Steward]:
    s = make_steward(*db)
    yield s
    s.runtime.db.dispose()


def new_wallet(steward: Steward, *, limit: int | None = None) -> str:
    with steward.runtime.db.transaction() as session:
        tenant = tenants.create(
            session,
            steward.runtime.product,
            steward.runtime.clock,
            tenants.NewTenant(email=f"{uuid.uuid4().hex[:8]}@example.com", name="Org"),
        )
        wallet = service.wallet_for(steward.runtime, session, tenant.id, "gbp")
        if limit is not None:
            wallet.debt_limit = limit
        return wallet.id


def post(steward: Steward, wallet_id: str, amount: int, key: str) -> ledger.Posting:
    kind = EntryKind.TOPUP if amount > 0 else EntryKind.USAGE
    with steward.runtime.db.transaction() as session:
        return ledger.post(
            session, wallet_id, kind=kind, amount=amount, key=key, now=steward.runtime.clock.now()
        )


def state(steward: Steward, wallet_id: str) -> tuple[int, int, int]:
    """(balance, sum of the ledger, debt limit)."""
    with steward.runtime.db.read() as session:
        balance, limit = session.execute(
            sa.text("SELECT balance, debt_limit FROM wallets WHERE id = :w"), {"w": wallet_id}
        ).one()
        total = session.execute(
            sa.text("SELECT coalesce(sum(amount), 0) FROM wallet_entries WHERE wallet_id = :w"),
            {"w": wallet_id},
        ).scalar_one()
    return int(balance), int(total), int(limit)


def test_default_debt_limit_is_500(steward: Steward) -> None:
    wallet_id = new_wallet(steward)
    assert state(steward, wallet_id) == (0, 0, 500)


def test_debits_within_at_and_one_over_the_limit(steward: Steward) -> None:
    wallet_id = new_wallet(steward)
    post(steward, wallet_id, 1000, "top-1")
    ok = post(steward, wallet_id, -1200, "d-1")  # within: 1000 - 1200 = -200
    assert not ok.refused and ok.balance == -200
    at_limit = post(steward, wallet_id, -300, "d-2")  # exactly -500
    assert not at_limit.refused and at_limit.balance == -500
    over = post(steward, wallet_id, -1, "d-3")  # one unit more
    assert over.refused and over.amount == 0 and over.balance == -500
    assert state(steward, wallet_id) == (-500, -500, 500)


def test_refusal_states_balance_amount_limit_shortfall_and_changes_nothing(
    steward: Steward,
) -> None:
    wallet_id = new_wallet(steward)
    post(steward, wallet_id, 100, "top")
    refused = post(steward, wallet_id, -900, "big")
    assert refused.refused
    error = refused.refusal()
    assert isinstance(error, DebitRefused) and error.http_status == 402
    assert error.details["balance"] == 100 and error.details["amount"] == 900
    assert error.details["debt_limit"] == 500 and error.details["shortfall"] == 300
    assert "£1.00" in error.message and "£9.00" in error.message and "£3.00" in error.message
    assert state(steward, wallet_id) == (100, 100, 500)
    # The same key replays the refusal, even after a top-up that would now let it through.
    post(steward, wallet_id, 5000, "top-2")
    again = post(steward, wallet_id, -900, "big")
    assert again.refused and again.replayed and again.refusal().details["shortfall"] == 300
    assert state(steward, wallet_id) == (5100, 5100, 500)


def test_same_key_replays_the_first_result_and_a_reused_key_is_refused(steward: Steward) -> None:
    wallet_id = new_wallet(steward)
    first = post(steward, wallet_id, -250, "call-1")
    second = post(steward, wallet_id, -250, "call-1")
    assert not first.replayed and second.replayed and second.entry_id == first.entry_id
    assert second.balance == first.balance == -250
    with pytest.raises(KeyReused):
        post(steward, wallet_id, -999, "call-1")
    assert state(steward, wallet_id) == (-250, -250, 500)


def test_the_database_refuses_a_balance_past_the_limit(steward: Steward) -> None:
    wallet_id = new_wallet(steward)
    with pytest.raises(sa.exc.IntegrityError), steward.runtime.db.transaction() as session:
        session.execute(
            sa.text("UPDATE wallets SET balance = -501 WHERE id = :w"), {"w": wallet_id}
        )


OPS = st.lists(
    st.tuples(st.sampled_from(["debit", "topup", "dup"]), st.integers(1, 400), st.integers(0, 11)),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS, threads=st.integers(1, 6))
def test_property_any_interleaving_keeps_the_ledger_invariant(
    steward: Steward, ops: list[tuple[str, int, int]], threads: int
) -> None:
    wallet_id = new_wallet(steward)
    keys: dict[str, int] = {}
    calls: list[tuple[int, str]] = []
    for op, amount, k in ops:
        if op == "dup" and calls:
            calls.append(calls[k % len(calls)])  # a duplicate delivery of an earlier one
            continue
        key = f"{op}-{k}-{amount}"
        signed = amount if op == "topup" else -amount
        if keys.setdefault(key, signed) == signed:
            calls.append((signed, key))
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda c: post(steward, wallet_id, *c), calls))
    balance, total, limit = state(steward, wallet_id)
    assert balance == total and balance >= -limit
    by_key: dict[str, set[tuple[int, Outcome]]] = {}
    for r in results:
        by_key.setdefault(f"{r.entry_id}", set()).add((r.amount, r.outcome))
    assert all(len(v) == 1 for v in by_key.values()), "a key gave two different results"
    with steward.runtime.db.read() as session:
        n = session.execute(
            sa.text("SELECT count(*) FROM wallet_entries WHERE wallet_id = :w"), {"w": wallet_id}
        ).scalar_one()
    assert n == len({key for _, key in calls})
    assert all(not r.refused for r in results if r.requested > 0), "a credit was refused"


def test_32_concurrent_writers_on_one_wallet_postgresql(tmp_path: Path) -> None:
    with database("postgresql", tmp_path) as (url, schema):
        steward = make_steward(url, schema)
        steward.runtime.db.dispose()
        steward.runtime = dataclasses.replace(
            steward.runtime, db=Database(url, pool_size=32, max_overflow=4)
        )
        try:
            wallet_id = new_wallet(steward)
            post(steward, wallet_id, 3000, "seed")
            per_writer, barrier = 40, threading.Barrier(32)
            outcomes: list[Any] = []

            def writer(n: int) -> None:
                barrier.wait()
                for i in range(per_writer):
                    outcomes.append(post(steward, wallet_id, -3, f"w{n}-{i}"))

            with ThreadPoolExecutor(32) as pool:
                list(pool.map(writer, range(32)))
            applied = [o for o in outcomes if not o.refused]
            # 3000 + 500 of room, 32 * 40 * 3 = 3840 asked: 1166 debits fit, 114 are refused.
            assert len(applied) == 3500 // 3 and len(outcomes) - len(applied) == 1280 - 3500 // 3
            balance, total, limit = state(steward, wallet_id)
            assert balance == total == 3000 - 3 * (3500 // 3) and balance >= -limit
        finally:
            steward.runtime.db.dispose()


def test_batched_writers_keep_the_invariant_and_replay_duplicates(steward: Steward) -> None:
    from steward.wallets.batcher import LedgerBatcher

    wallet_id = new_wallet(steward)
    post(steward, wallet_id, 1000, "seed")
    batcher = LedgerBatcher(steward.runtime.db, steward.runtime.clock)
    keys = [f"k{i % 150}" for i in range(400)]  # 150 distinct keys, each sent 2-3 times
    with ThreadPoolExecutor(16) as pool:
        results = list(
            pool.map(
                lambda k: batcher.post(wallet_id, kind=EntryKind.USAGE, amount=-10, key=k), keys
            )
        )
    by_key: dict[str, set[tuple[int, str]]] = {}
    for key, r in zip(keys, results, strict=True):
        by_key.setdefault(key, set()).add((r.entry_id, r.outcome.value))
    assert all(len(v) == 1 for v in by_key.values()), "a duplicate got another result"
    applied = [k for k, v in by_key.items() if next(iter(v))[1] == "applied"]
    assert len(applied) == 150  # 1500 of room (1000 + 500), 150 x 10 asked: all fit exactly
    assert state(steward, wallet_id) == (-500, -500, 500)
    assert batcher.batches < 400  # shared commits
    with pytest.raises(KeyReused):
        batcher.post(wallet_id, kind=EntryKind.USAGE, amount=-11, key="k1")
