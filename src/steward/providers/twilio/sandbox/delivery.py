"""Webhook delivery: a background thread that POSTs signed forms to the account's URLs.

Each webhook is one ``application/x-www-form-urlencoded`` POST with ``X-Twilio-Signature``
computed by the SDK's ``RequestValidator`` over the exact URL posted to and the form, and an
``I-Twilio-Idempotency-Token`` that its duplicates share. As at Twilio, a webhook is tried once:
a failure is recorded, not retried. Faults (drop, duplicate, delay, reorder) apply on the way
out. Nothing here takes the store's lock except an ``on_answer`` hook (TwiML replies)."""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from steward.providers.twilio.signature import HEADER, sign

USER_AGENT = "TwilioProxy/1.1"
KINDS = frozenset({"sms", "voice", "message-status", "call-status"})
Answer = Callable[[int, str], None]  # (status code, response text) of a 2xx delivery


@dataclass
class Faults:
    """What goes wrong. Mutate it freely; it is read at each API call and each delivery."""

    fail_next: int = 0  # the next N authenticated API calls answer ``fail_status`` (error JSON)
    fail_status: int = 500  # 500, 503 or 429
    duplicate: int = 0  # extra identical copies sent after each webhook
    delay_ms: int = 0  # added before each newly queued webhook
    drop_kinds: set[str] = field(default_factory=set)  # these kinds are never delivered
    drop_next: int = 0  # the next N webhooks are never delivered
    reorder: bool = False  # hold new webhooks; ``TwilioSandbox.flush()`` sends them newest first

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "drop_kinds": sorted(self.drop_kinds)}

    def update(self, changes: Any) -> None:
        """Apply a JSON object of changes, all or nothing; ValueError names a bad one."""
        if not isinstance(changes, dict):
            raise ValueError("faults must be a JSON object")
        counts = ("fail_next", "duplicate", "delay_ms", "drop_next")
        for name, value in changes.items():
            if not (
                (name in counts and type(value) is int and value >= 0)
                or (name == "fail_status" and type(value) is int and value in (429, 500, 503))
                or (name == "reorder" and isinstance(value, bool))
                or (name == "drop_kinds" and isinstance(value, list) and set(value) <= KINDS)
            ):
                raise ValueError(f"invalid fault {name}: {value!r}")
        for name, value in changes.items():
            setattr(self, name, set(value) if name == "drop_kinds" else value)


@dataclass(frozen=True)
class DeliveryRecord:
    """One POST (or one decision not to make it).

    outcome: "delivered" (2xx), "failed" (another status or no answer), "dropped" (a fault; never
    sent), "duplicate" (an extra copy)."""

    kind: str  # sms, voice, message-status, call-status
    sid: str  # the message or call it is about
    status: str  # the status it reports (received, ringing, delivered…)
    url: str
    status_code: int | None  # None: connection error, timeout, or dropped
    outcome: str
    at: float  # wall-clock unix seconds
    token: str  # I-Twilio-Idempotency-Token
    copy: int = 0
    error: str | None = None
    answer: str = ""  # the start of the response body (TwiML for sms and voice)


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    kind: str = field(compare=False)
    url: str = field(compare=False)
    form: dict[str, str] = field(compare=False)
    sid: str = field(compare=False)
    status: str = field(compare=False)
    token: str = field(compare=False)
    on_answer: Answer | None = field(default=None, compare=False)


class Deliverer:
    def __init__(self, auth_token: str, faults: Callable[[], Faults]) -> None:
        self.auth_token = auth_token
        self._faults = faults
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
            self._thread = threading.Thread(
                target=self._run, name="twilio-sandbox-delivery", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float | None = 10) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def enqueue(
        self, kind: str, url: str, form: dict[str, str], sid: str, status: str,
        on_answer: Answer | None = None,
    ) -> None:  # fmt: skip
        """Queue one webhook; an empty ``url`` (nothing configured) is not a delivery at all."""
        if not url:
            return
        faults = self._faults()
        token = uuid.uuid4().hex
        with self._cond:
            job = _Job(0.0, next(self._seq), kind, url, dict(form), sid, status, token, on_answer)
            if faults.reorder:
                self._held.append(job)
                return
            job.due = time.monotonic() + faults.delay_ms / 1000
            heapq.heappush(self._queue, job)
            self._cond.notify_all()

    def flush(self) -> int:
        """Queue the held webhooks, newest first. Returns how many were released."""
        due = time.monotonic() + self._faults().delay_ms / 1000
        with self._cond:
            held, self._held = self._held[::-1], []
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
        """True once nothing is queued or in flight; held webhooks don't count."""
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

    def _record(self, job: _Job, code: int | None, outcome: str, **extra: Any) -> None:
        record = DeliveryRecord(
            job.kind, job.sid, job.status, job.url, code, outcome, time.time(), job.token, **extra
        )
        with self._cond:
            self._records.append(record)

    def _dropped(self, job: _Job, faults: Faults) -> bool:
        with self._cond:
            if job.kind in faults.drop_kinds:
                return True
            if faults.drop_next > 0:
                faults.drop_next -= 1
                return True
            return False

    def _deliver(self, client: httpx.Client, job: _Job) -> None:
        faults = self._faults()
        if self._dropped(job, faults):
            self._record(job, None, "dropped")
            return
        code, text, error = self._post(client, job)
        ok = code is not None and 200 <= code < 300
        if ok and job.on_answer is not None and code is not None:
            try:
                job.on_answer(code, text)
            except Exception as exc:  # one bad answer must not stop every later delivery
                error = f"answer not understood: {type(exc).__name__}: {exc}"
        self._record(job, code, "delivered" if ok else "failed", error=error, answer=text[:2000])
        for copy in range(1, faults.duplicate + 1):
            code, text, error = self._post(client, job)
            self._record(job, code, "duplicate", copy=copy, error=error, answer=text[:2000])

    def _post(self, client: httpx.Client, job: _Job) -> tuple[int | None, str, str | None]:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            HEADER: sign(self.auth_token, job.url, job.form),
            "I-Twilio-Idempotency-Token": job.token,
            "User-Agent": USER_AGENT,
        }
        try:
            response = client.post(job.url, data=job.form, headers=headers)
        except httpx.HTTPError as exc:
            return None, "", f"{type(exc).__name__}: {exc}"
        return response.status_code, response.text, None
