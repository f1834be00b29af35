"""Webhook delivery: a background thread POSTs each event, signed the Standard Webhooks way, to
the configured URL over real HTTP.

As at Whop: at least once, order not guaranteed, and a non-2xx answer (or none) is retried three
times (Whop waits 10, 20 and 40 seconds; the sandbox's ``backoff`` scales that down). Every
attempt carries the same ``webhook-id`` and a fresh timestamp and signature. The body is
serialised once; the bytes sent are the bytes signed. Faults (drop, duplicate, delay, reorder)
apply on the way out; retries are scheduled, never slept, so one failing event holds back no
other."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from steward.providers.whop.sandbox.faults import Faults
from steward.providers.whop.webhooks import dumps, sign

BACKOFF: tuple[float, ...] = (0.1, 0.2, 0.4)


@dataclass(frozen=True)
class DeliveryRecord:
    """One HTTP attempt, or one decision not to make it.

    outcome: "delivered" (2xx), "retrying" (failed; another attempt is scheduled), "gave_up"
    (failed on the last attempt), "dropped" (a fault; never sent), "duplicate" (an extra copy).
    """

    event_id: str
    type: str
    attempt: int
    status_code: int | None  # None: connection error, timeout, or dropped
    at: float
    outcome: str
    copy: int = 0
    error: str | None = None


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    event_id: str = field(compare=False)
    type: str = field(compare=False)
    body: str = field(compare=False)
    attempt: int = field(default=1, compare=False)


class Deliverer:
    def __init__(
        self,
        target: Callable[[], tuple[str, str]],  # (url, secret), read at each attempt
        faults: Faults,
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        self._target, self._faults, self._backoff = target, faults, backoff
        self._cond = threading.Condition()
        self._queue: list[_Job] = []
        self._held: list[_Job] = []
        self._in_flight = 0
        self._records: list[DeliveryRecord] = []
        self._seq = itertools.count()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="whop-sandbox", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def enqueue(self, event: dict[str, Any]) -> None:
        job = _Job(0.0, next(self._seq), event["id"], event["type"], dumps(event))
        with self._cond:
            if self._faults.reorder:
                self._held.append(job)
                return
            job.due = time.monotonic() + self._faults.webhook_delay_ms / 1000
            heapq.heappush(self._queue, job)
            self._cond.notify_all()

    def flush(self) -> int:
        """Queue the held events, newest first. Returns how many were released."""
        with self._cond:
            held, self._held = self._held[::-1], []
            due = time.monotonic() + self._faults.webhook_delay_ms / 1000
            for job in held:
                job.due, job.seq = due, next(self._seq)
                heapq.heappush(self._queue, job)
            self._cond.notify_all()
            return len(held)

    @property
    def records(self) -> list[DeliveryRecord]:
        with self._cond:
            return list(self._records)

    def wait_idle(self, timeout: float = 10) -> bool:
        """True once nothing is queued (retries included) or in flight; held events don't count."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._in_flight, timeout)

    def _next(self) -> _Job | None:
        with self._cond:
            while not self._stopping:
                if self._queue:
                    wait = self._queue[0].due - time.monotonic()
                    if wait <= 0:
                        self._in_flight += 1
                        return heapq.heappop(self._queue)
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while (job := self._next()) is not None:
                try:
                    self._deliver(client, job)
                finally:
                    with self._cond:
                        self._in_flight -= 1
                        self._cond.notify_all()

    def _record(self, job: _Job, status: int | None, outcome: str, **extra: Any) -> None:
        record = DeliveryRecord(
            job.event_id, job.type, job.attempt, status, time.time(), outcome, **extra
        )
        with self._cond:
            self._records.append(record)

    def _deliver(self, client: httpx.Client, job: _Job) -> None:
        if job.attempt == 1 and self._faults.take_drop(job.type):
            self._record(job, None, "dropped")
            return
        status, error = self._post(client, job)
        if status is not None and 200 <= status < 300:
            self._record(job, status, "delivered")
        elif job.attempt <= len(self._backoff):
            self._record(job, status, "retrying", error=error)
            retry = _Job(
                time.monotonic() + self._backoff[job.attempt - 1], next(self._seq),
                job.event_id, job.type, job.body, job.attempt + 1,
            )  # fmt: skip
            with self._cond:
                heapq.heappush(self._queue, retry)
                self._cond.notify_all()
        else:
            self._record(job, status, "gave_up", error=error)
        if job.attempt == 1:
            for copy in range(1, self._faults.duplicate + 1):
                status, error = self._post(client, job)
                self._record(job, status, "duplicate", copy=copy, error=error)

    def _post(self, client: httpx.Client, job: _Job) -> tuple[int | None, str | None]:
        url, secret = self._target()
        headers = {
            **sign(secret, job.event_id, job.body),
            "Content-Type": "application/json",
            "User-Agent": "steward-whop-sandbox",
        }
        try:
            response = client.post(url, content=job.body.encode("utf-8"), headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None
