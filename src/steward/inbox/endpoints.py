"""The webhook receiver and the admin API over the inbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from steward import metrics
from steward.api.deps import Actor, RuntimeDep
from steward.errors import BadWebhook
from steward.inbox import repository as repo
from steward.inbox.models import EventStatus
from steward.inbox.schemas import EventDetail, EventOut, EventPage, WebhookAck
from steward.inbox.service import Inbox, parse_event
from steward.inbox.verify import verify_stripe

webhooks = APIRouter(tags=["webhooks"])
admin = APIRouter(prefix="/admin/api/events", tags=["admin: events"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Refused: bad signature, stale timestamp or not an event; nothing stored"}
}


@webhooks.post("/webhooks/stripe", response_model=WebhookAck, responses=ERRORS)
async def stripe_webhook(
    request: Request,
    runtime: RuntimeDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> WebhookAck:
    """Verify, store once, answer. Processing happens after the answer, from the stored row."""
    body = await request.body()
    settings = runtime.settings
    try:
        verify_stripe(
            body, stripe_signature, settings.webhook_secrets, settings.stripe_webhook_tolerance
        )
        payload = parse_event(body)
    except BadWebhook as exc:
        metrics.EVENTS_REJECTED.labels(source="stripe", code=exc.code).inc()
        raise
    result = await run_in_threadpool(runtime.service(Inbox).ingest, "stripe", body, payload)
    return WebhookAck(received=True, duplicate=result.duplicate)


@admin.get("", response_model=EventPage)
def list_events(
    runtime: RuntimeDep,
    _admin: Actor,
    status: EventStatus | None = None,
    source: str | None = None,
    type: str | None = None,
    tenant_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EventPage:
    with runtime.db.read() as session:
        rows, total = repo.search(
            session,
            status=status,
            source=source,
            type=type,
            tenant_id=tenant_id,
            limit=limit,
            offset=offset,
        )
        items = [EventOut.model_validate(r) for r in rows]
    return EventPage(items=items, total=total, shown=len(items), limit=limit, offset=offset)


@admin.get("/{event_id}", response_model=EventDetail)
def get_event(event_id: int, runtime: RuntimeDep, _admin: Actor) -> EventDetail:
    with runtime.db.read() as session:
        return EventDetail.model_validate(repo.get(session, event_id))


@admin.post("/{event_id}/replay", response_model=EventOut)
def replay_event(event_id: int, runtime: RuntimeDep, actor: Actor) -> EventOut:
    """Replay a failed, dead or ignored event; the audit log names who did."""
    return EventOut.model_validate(runtime.service(Inbox).replay(event_id, actor))
