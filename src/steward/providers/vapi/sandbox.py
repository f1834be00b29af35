"""A local Vapi-like provider: place calls, list them (paged, > 100 per page), and post signed
``call.ended`` webhooks to Steward from a background thread.

Faults, read at each use: ``miss_next`` (the next N calls send no webhook: the gap that
reconciliation recovers), ``duplicate`` (extra copies of each webhook), ``delay_ms``, and
``fail_pages`` (the next N list requests answer 500). ``synthetic(n, ...)`` stands for a large
account (a million calls) without holding them in memory."""

from __future__ import annotations

import bisect
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from steward.providers.vapi.signing import HEADER, sign

JSON = dict[str, Any]


@dataclass
class VapiFaults:
    miss_next: int = 0  # the next N calls end without a webhook
    duplicate: int = 0  # extra copies of each webhook
    delay_ms: int = 0  # before each delivery
    fail_pages: int = 0  # the next N list requests answer 500
    page_delay_ms: int = 0  # added to every list request (a slow provider)


@dataclass
class Synthetic:
    count: int
    start: datetime
    spacing: timedelta
    tenants: list[str]
    seconds: int = 95

    def call(self, i: int) -> JSON:
        started = self.start + self.spacing * i
        return _call(
            f"call_syn_{i:08d}", self.tenants[i % len(self.tenants)], started, self.seconds
        )


@dataclass
class Delivery:
    event_id: str
    status: int | None
    error: str | None = None
    attempts: list[float] = field(default_factory=list)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _call(call_id: str, tenant_id: str | None, started: datetime, seconds: int | None) -> JSON:
    ended = started + timedelta(seconds=seconds or 0)
    return {
        "id": call_id,
        "type": "outboundPhoneCall",
        "status": "ended" if seconds is not None else "in-progress",
        "createdAt": _iso(started),
        "startedAt": _iso(started),
        "endedAt": _iso(ended) if seconds is not None else None,
        "durationSeconds": seconds,
        "cost": round((seconds or 0) * 0.0015, 4),  # the provider's own cost, in dollars
        "metadata": {"tenant_id": tenant_id} if tenant_id else {},
    }


class VapiSandbox:
    def __init__(self, webhook_url: str, webhook_secret: str, api_key: str) -> None:
        self.webhook_url, self.webhook_secret, self.api_key = webhook_url, webhook_secret, api_key
        self.faults = VapiFaults()
        self.lock = threading.RLock()
        self._calls: dict[str, JSON] = {}
        self._order: list[tuple[str, str]] = []  # (createdAt, id), sorted
        self._synthetic: Synthetic | None = None
        self.deliveries: list[Delivery] = []
        self.list_requests = 0
        self.app = self._build_app()

    # -- calls --------------------------------------------------------------------------------
    def place_call(
        self,
        tenant_id: str | None,
        seconds: int | None,
        *,
        started: datetime | None = None,
        call_id: str | None = None,
    ) -> JSON:
        """A call that ended after ``seconds`` (None: still in progress, not billable)."""
        call = _call(
            call_id or f"call_{uuid.uuid4().hex[:20]}",
            tenant_id,
            started or datetime.now(UTC) - timedelta(seconds=seconds or 0),
            seconds,
        )
        with self.lock:
            self._calls[call["id"]] = call
            bisect.insort(self._order, (call["createdAt"], call["id"]))
            missed = self.faults.miss_next > 0
            if missed:
                self.faults.miss_next -= 1
        if seconds is not None and not missed:
            self.send_webhook(call)
        return call

    def synthetic(self, synthetic: Synthetic | None) -> None:
        self._synthetic = synthetic

    def send_webhook(self, call: JSON) -> Delivery:
        event = {
            "id": f"vevt_{uuid.uuid4().hex[:20]}",
            "type": "call.ended",
            "created": int(time.time()),
            "call": call,
        }
        delivery = Delivery(event_id=str(event["id"]), status=None)
        with self.lock:
            self.deliveries.append(delivery)
        copies = 1 + self.faults.duplicate
        delay = self.faults.delay_ms / 1000
        threading.Thread(
            target=self._deliver, args=(event, delivery, copies, delay), daemon=True
        ).start()
        return delivery

    def _deliver(self, event: JSON, delivery: Delivery, copies: int, delay: float) -> None:
        if delay:
            time.sleep(delay)
        body = json.dumps(event).encode()
        for _ in range(copies):
            for attempt in range(5):
                headers = {
                    HEADER: sign(body, self.webhook_secret),
                    "Content-Type": "application/json",
                }
                delivery.attempts.append(time.time())
                try:
                    r = httpx.post(self.webhook_url, content=body, headers=headers, timeout=10)
                    delivery.status = r.status_code
                    if r.status_code < 500:
                        break
                except httpx.HTTPError as exc:
                    delivery.error = f"{type(exc).__name__}: {exc}"
                time.sleep(0.2 * 2**attempt)

    def wait_delivered(self, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(d.status is not None and d.status < 500 for d in self.deliveries):
                    return True
            time.sleep(0.02)
        return False

    # -- listing ------------------------------------------------------------------------------
    def list_calls(self, start: str, end: str, limit: int, cursor: str | None) -> JSON:
        offset = int(cursor) if cursor else 0
        if self._synthetic is not None:
            syn = self._synthetic
            lo = _index_at(syn, _parse(start))
            hi = _index_at(syn, _parse(end))
            first = lo + offset
            last = min(hi, first + limit)
            data = [syn.call(i) for i in range(first, last)]
            nxt = str(last - lo) if last < hi else None
            return {"data": data, "next_cursor": nxt, "total": hi - lo}
        s, e = _iso(_parse(start)), _iso(_parse(end))
        with self.lock:
            lo = bisect.bisect_left(self._order, (s, ""))
            hi = bisect.bisect_left(self._order, (e, ""))
            ids = [cid for _, cid in self._order[lo + offset : min(hi, lo + offset + limit)]]
            data = [dict(self._calls[cid]) for cid in ids]
        nxt = str(offset + len(data)) if lo + offset + len(data) < hi else None
        return {"data": data, "next_cursor": nxt, "total": hi - lo}

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="Vapi sandbox", openapi_url=None, docs_url=None, redoc_url=None)

        @app.get("/v1/calls")
        def calls(request: Request) -> JSONResponse:
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return JSONResponse({"message": "Unauthorized"}, status_code=401)
            with self.lock:
                self.list_requests += 1
                if self.faults.fail_pages > 0:
                    self.faults.fail_pages -= 1
                    return JSONResponse({"message": "Internal server error"}, status_code=500)
            if self.faults.page_delay_ms:
                time.sleep(self.faults.page_delay_ms / 1000)
            q = request.query_params
            try:
                limit = int(q.get("limit", "100"))
                if not 1 <= limit <= 1000:
                    raise ValueError("limit must be 1..1000")
                body = self.list_calls(q["createdAtGe"], q["createdAtLt"], limit, q.get("cursor"))
            except (KeyError, ValueError) as exc:
                return JSONResponse({"message": f"bad request: {exc}"}, status_code=400)
            return JSONResponse(body)

        @app.post("/_sandbox/faults")
        async def set_faults(request: Request) -> JSONResponse:
            for name, value in (await request.json()).items():
                if not hasattr(self.faults, name) or type(value) is not int or value < 0:
                    return JSONResponse({"message": f"invalid fault {name}"}, status_code=400)
                setattr(self.faults, name, value)
            return JSONResponse(self.faults.__dict__)

        @app.post("/_sandbox/calls")
        async def new_call(request: Request) -> JSONResponse:
            body = await request.json()
            return JSONResponse(self.place_call(body.get("tenant_id"), body.get("seconds")))

        return app


def _parse(value: str) -> datetime:
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _index_at(syn: Synthetic, at: datetime) -> int:
    """The first synthetic call created at or after ``at``."""
    if at <= syn.start:
        return 0
    step = syn.spacing.total_seconds()
    index = -(-(at - syn.start).total_seconds() // step)
    return int(min(syn.count, index))
