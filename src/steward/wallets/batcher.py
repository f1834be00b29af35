"""Group commit for hot wallets.

With one transaction per debit, every writer of a hot wallet queues on its row lock, and the
lock is held through the commit's WAL flush: throughput is about one debit per flush. The
batcher lets concurrent callers in one process share a transaction: the first caller becomes
the leader, takes every queued request and applies them in ONE transaction with the same
``ledger.post`` (own entry, own limit check, own idempotency key, in arrival order), commits
once, and hands each caller its own result. If the batch fails as a whole (a reused key, a
missing wallet), each request is retried alone so one bad request cannot fail the others.

Callers wait for the commit, so a returned posting is durable, exactly as without batching."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from steward.db import Database
from steward.kit.clock import Clock
from steward.wallets import ledger
from steward.wallets.ledger import Posting
from steward.wallets.models import EntryKind


@dataclass
class _Request:
    wallet_id: str
    kind: EntryKind
    amount: int
    key: str
    description: str
    done: threading.Event = field(default_factory=threading.Event)
    result: Posting | None = None
    error: BaseException | None = None


class LedgerBatcher:
    def __init__(self, db: Database, clock: Clock, max_batch: int = 256) -> None:
        self.db, self.clock, self.max_batch = db, clock, max_batch
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        self._leading = False
        self.batches = 0  # transactions committed, for measurements

    def post(
        self, wallet_id: str, *, kind: EntryKind, amount: int, key: str, description: str = ""
    ) -> Posting:
        request = _Request(wallet_id, kind, amount, key, description)
        with self._lock:
            self._queue.append(request)
            lead = not self._leading
            self._leading = True
        if lead:
            self._drain()
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _drain(self) -> None:
        while True:
            with self._lock:
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                if not batch:
                    self._leading = False
                    return
            try:
                with self.db.transaction() as session:
                    results = [self._apply(session, r) for r in batch]
                self.batches += 1
                for request, result in zip(batch, results, strict=True):
                    request.result = result
            except Exception:
                for request in batch:
                    try:
                        with self.db.transaction() as session:
                            request.result = self._apply(session, request)
                        self.batches += 1
                    except Exception as exc:
                        request.error = exc
            finally:
                for request in batch:
                    request.done.set()

    def _apply(self, session: Any, r: _Request) -> Posting:
        return ledger.post(
            session,
            r.wallet_id,
            kind=r.kind,
            amount=r.amount,
            key=r.key,
            now=self.clock.now(),
            description=r.description,
        )
