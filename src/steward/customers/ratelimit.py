"""Requests per client address, counted in the database (a sliding window), so a SQLite-only
install is limited too and every process counts every hit. Over the limit: 429 with Retry-After.

Two requests racing at the very limit may both pass (the count and the insert are not one
statement); the limit is a brake on abuse, not an exact quota."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from steward.customers import repository as repo
from steward.errors import StewardError
from steward.runtime import Runtime


class RateLimited(StewardError):
    """Too many requests from this address; wait and try again."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many requests; try again in {retry_after} s", retry_after=retry_after
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    name: str  # the bucket's prefix, e.g. "signup_start"
    count: int  # requests allowed per window
    window_seconds: int


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def hit(runtime: Runtime, limit: Limit, address: str) -> None:
    """Count one request of ``address``; RateLimited when the window is already full."""
    now = runtime.clock.now()
    window = timedelta(seconds=limit.window_seconds)
    bucket = f"{limit.name}:{address}"[:200]
    with runtime.db.transaction() as session:
        seen = repo.hits_since(session, bucket, now - window)
        if len(seen) >= limit.count:
            oldest = seen[len(seen) - limit.count]
            wait = (oldest + window - now).total_seconds()
            raise RateLimited(max(1, math.ceil(wait)))
        repo.add_hit(session, bucket, now)
        if not seen:  # the bucket's first hit in a window: drop what every window has left behind
            repo.prune_hits(session, now - timedelta(days=1))


def install(app: FastAPI, _runtime: Runtime) -> None:
    """429 answers carry Retry-After (the generic error handler sets no headers)."""

    async def answer(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RateLimited)
        return JSONResponse(
            {"error": exc.to_dict()},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )

    app.add_exception_handler(RateLimited, answer)
