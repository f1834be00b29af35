"""Catch up on webhooks Stripe never delivered: page through Stripe's events after a cursor and
feed every one the inbox lacks through the same path as a webhook (stored, then applied once)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog

from steward.errors import InvalidInput
from steward.inbox.service import Inbox
from steward.runtime import Runtime
from steward.subscriptions import repository as repo

if TYPE_CHECKING:
    pass

log = structlog.get_logger("steward.sync")

CURSOR = "stripe.events"
OVERLAP_SECONDS = 120  # re-read this much before the cursor: same-second events, clock skew
PAGE = 100


@dataclass(frozen=True)
class SyncReport:
    seen: int
    ingested: int
    since: int
    cursor: int


def parse_since(text: str) -> timedelta:
    """'3d', '12h', '90m', '30s' → a duration."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhms])\s*", text)
    if not match:
        raise InvalidInput(f"--since: expected a duration like 3d, 12h, 90m or 30s, got {text!r}")
    n, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[unit]: n})


def catch_up(
    runtime: Runtime,
    since: timedelta | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    now = int(runtime.clock.now().timestamp())
    if since is not None:
        start = now - int(since.total_seconds())
    else:
        with runtime.db.read() as session:
            cursor = repo.cursor(session, CURSOR)
        start = (cursor - OVERLAP_SECONDS) if cursor else now - 3 * 86_400
    seen = ingested = 0
    newest = start
    page: list[dict[str, Any]] = []
    for event in runtime.stripe.list_events_since(start, page_size=PAGE):
        page.append(event)
        newest = max(newest, int(event.get("created") or 0))
        if len(page) == PAGE:
            ingested += _feed(runtime, page)
            seen += len(page)
            page = []
            if progress:
                progress(seen, ingested)
    if page:
        ingested += _feed(runtime, page)
        seen += len(page)
        if progress:
            progress(seen, ingested)
    with runtime.db.transaction() as session:
        repo.set_cursor(session, CURSOR, newest, runtime.clock.now())
    log.info("sync.caught_up", seen=seen, ingested=ingested, since=start, cursor=newest)
    return SyncReport(seen=seen, ingested=ingested, since=start, cursor=newest)


def _feed(runtime: Runtime, events: list[dict[str, Any]]) -> int:
    missing = runtime.service(Inbox).missing("stripe", [str(e["id"]) for e in events])
    batch = [(json.dumps(e).encode(), e) for e in events if e["id"] in missing]
    # Oldest first, as Stripe would have sent them.
    batch.sort(key=lambda item: int(item[1].get("created") or 0))
    return runtime.service(Inbox).ingest_many("stripe", batch) if batch else 0
