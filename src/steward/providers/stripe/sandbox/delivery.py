"""Webhook delivery: a background thread that POSTs signed events to the webhook URL.

Each event is serialised once; the JSON body sent is exactly the string that was signed. A
delivery that gets a non-2xx answer or no answer is retried after 0.2 s, 0.5 s, 1 s and 2 s,
then given up (and recorded). Retries are scheduled, not slept, so one failing event does not
hold back the others, and nothing here ever takes the account's lock: API requests never wait
on deliveries. Faults (drop, duplicate, delay, reorder) are applied on the way out."""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import stripe

BACKOFF: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0)
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


@dataclass
class Faults:
    """What goes wrong on the wire. Mutate it freely; it is read at each delivery."""

    duplicate: int = 0  # extra identical copies sent after each first attempt
    delay_ms: int = 0  # added before the first attempt of each newly queued event
    drop_types: set[str] = field(default_factory=set)  # these types are never delivered
    drop_next: int = 0  # the next N events are never delivered
    reorder: bool = False  # hold new events; StripeSandbox.flush() sends them newest first

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "drop_types": sorted(self.drop_types)}

    def update(self, changes: Any) -> None:
        """Apply a JSON object of changes, all or nothing; ValueError names a bad one."""
        if not isinstance(changes, dict):
            raise ValueError("faults must be a JSON object")
        for name, value in changes.items():
            counts = ("duplicate", "delay_ms", "drop_next")
            if not (
                (name in counts and type(value) is int and value >= 0)
                or (name == "reorder" and isinstance(value, bool))
                or (
                    name == "drop_types"
                    and isinstance(value, list)
                    and all(isinstance(v, str) for v in value)
                )
            ):
                raise ValueError(f"invalid fault {name}: {value!r}")
        for name, value in changes.items():
            setattr(self, name, set(value) if name == "drop_types" else value)


@dataclass(frozen=True)
class DeliveryRecord:
    """One HTTP attempt (or one decision not to make it).

    outcome: "delivered" (2xx), "retrying" (failed, another attempt is scheduled), "gave_up"
    (failed on the last attempt), "dropped" (a fault; never sent), "duplicate" (an extra copy).
    """

    event_id: str
    type: str
    attempt: int
    status_code: int | None  # None: connection error, timeout, or dropped
    at: float  # wall-clock unix seconds
    outcome: str
    copy: int = 0
    error: str | None = None


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    event_id: str = field(compare=False)
    type: str = field(compare=False)
    payload: str = field(compare=False)
    attempt: int = field(default=1, compare=False)


class Deliverer:
    def __init__(self, url: str, secret: str, faults: Callable[[], Faults]) -> None:
        self.url = url
        self.secret = secret
        self._faults = faults
        self._cond = threading.Condition()
        self._queue: list[_Job] = []
        self._held: list[_Job] = []
        self._in_flight = 0
        self._records: list[DeliveryRecord] = []
        self._seq = itertools.count()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="stripe-sandbox-delivery", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float | None = 10) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # -- queueing --------------------------------------------------------------------------------
    def enqueue(self, event: dict[str, Any]) -> None:
        payload = json.dumps(event, indent=2)
        faults = self._faults()
        with self._cond:
            job = _Job(0.0, next(self._seq), event["id"], event["type"], payload)
            if faults.reorder:
                self._held.append(job)
                return
            job.due = time.monotonic() + max(faults.delay_ms, 0) / 1000
            heapq.heappush(self._queue, job)
            self._cond.notify_all()

    def flush(self) -> int:
        """Queue the held events, newest first. Returns how many were released."""
        delay = max(self._faults().delay_ms, 0) / 1000
        with self._cond:
            held, self._held = self._held[::-1], []
            due = time.monotonic() + delay
            for job in held:
                job.due, job.seq = due, next(self._seq)
                heapq.heappush(self._queue, job)
            self._cond.notify_all()
            return len(held)

    @property
    def held(self) -> int:
        with self._cond:
            return len(self._held)

    @property
    def records(self) -> list[DeliveryRecord]:
        with self._cond:
            return list(self._records)

    def wait_idle(self, timeout: float = 10) -> bool:
        """True once nothing is queued (retries included) or in flight; held events don't count."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._in_flight, timeout)

    # -- the worker --------------------------------------------------------------------------------
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

    def _dropped(self, job: _Job, faults: Faults) -> bool:
        with self._cond:
            if job.type in faults.drop_types:
                return True
            if faults.drop_next > 0:
                faults.drop_next -= 1
                return True
            return False

    def _deliver(self, client: httpx.Client, job: _Job) -> None:
        faults = self._faults()
        if job.attempt == 1 and self._dropped(job, faults):
            self._record(job, None, "dropped")
            return
        header = stripe.WebhookSignature.generate_signature_header(job.payload, self.secret)
        status, error = self._post(client, job.payload, header)
        if status is not None and 200 <= status < 300:
            self._record(job, status, "delivered")
        elif job.attempt <= len(BACKOFF):
            self._record(job, status, "retrying", error=error)
            retry = _Job(
                time.monotonic() + BACKOFF[job.attempt - 1],
                next(self._seq),
                job.event_id,
                job.type,
                job.payload,
                job.attempt + 1,
            )
            with self._cond:
                heapq.heappush(self._queue, retry)
                self._cond.notify_all()
        else:
            self._record(job, status, "gave_up", error=error)
        if job.attempt == 1:
            for copy in range(1, max(faults.duplicate, 0) + 1):
                status, error = self._post(client, job.payload, header)
                self._record(job, status, "duplicate", copy=copy, error=error)

    def _post(
        self, client: httpx.Client, payload: str, header: str
    ) -> tuple[int | None, str | None]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": header,
            "User-Agent": USER_AGENT,
        }
        try:
            response = client.post(self.url, content=payload.encode("utf-8"), headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None
