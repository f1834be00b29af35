"""The durable inbox on fakes: an event delivered twice is stored once and applied once; a
handler that fails rolls its writes back and the event is retried, then applied once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from steward.inbox.handlers import HandlerContext
from steward.inbox.service import Inbox
from steward.module import Module, On
from steward.product import Plan, Product
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from tests.fakes import fakes

applied: list[str] = []
failures_left = [0]


def ping(ctx: HandlerContext) -> None:
    tid = str(ctx.data_object["tenant_id"])
    tenant = tenants_repo.get(ctx.session, tid)
    tenants.note(ctx.session, tenant, ctx.runtime.clock.now(), "ping", "pinged", ctx.event.id)
    if failures_left[0]:
        failures_left[0] -= 1
        raise RuntimeError("the handler failed once")
    applied.append(str(ctx.payload["id"]))


PRODUCT = Product(
    name="Inbox test",
    plans=[Plan(key="starter", name="Starter", price=100)],
    modules=(Module("ping", handlers=(On("stripe", ("test.ping",), ping),)),),
)


def _event(event_id: str, tenant_id: str) -> tuple[bytes, dict[str, Any]]:
    payload: dict[str, Any] = {
        "id": event_id,
        "type": "test.ping",
        "data": {"object": {"tenant_id": tenant_id}},
    }
    return json.dumps(payload).encode(), payload


def test_a_duplicate_delivery_is_stored_once_and_applied_once() -> None:
    applied.clear()
    with fakes(PRODUCT) as f:
        with f.db.transaction() as session:
            new = tenants.NewTenant("a@example.com", "A")
            tid = tenants.create(session, f.runtime.product, f.clock, new).id
        inbox = f.runtime.service(Inbox)
        first = inbox.ingest("stripe", *_event("evt_1", tid))
        again = inbox.ingest("stripe", *_event("evt_1", tid))
        assert (first.duplicate, again.duplicate) == (False, True)
        assert again.event_id == first.event_id
        assert inbox.drain() == 1 and inbox.drain() == 0
        assert applied == ["evt_1"]
        assert f.count("inbound_events", status="processed") == 1


def test_a_failing_handler_rolls_back_and_is_retried_until_applied_once() -> None:
    applied.clear()
    failures_left[0] = 1
    with fakes(PRODUCT, retry_base_seconds=1, retry_max_seconds=1) as f:
        with f.db.transaction() as session:
            new = tenants.NewTenant("a@example.com", "A")
            tid = tenants.create(session, f.runtime.product, f.clock, new).id
        inbox = f.runtime.service(Inbox)
        inbox.ingest("stripe", *_event("evt_1", tid))
        inbox.drain()
        assert applied == [] and f.count("tenant_timeline", kind="ping") == 0  # rolled back
        assert f.count("inbound_events", status="retrying") == 1
        f.clock.advance(timedelta(seconds=2))
        inbox.drain()
        assert applied == ["evt_1"] and f.count("tenant_timeline", kind="ping") == 1
        assert f.count("inbound_events", status="processed", attempts=2) == 1
