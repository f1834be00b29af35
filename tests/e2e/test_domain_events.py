"""Domain events start their subscribers exactly once, and only when the cause commits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from dbos import DBOS

from steward.bootstrap import build
from steward.inbox.handlers import HandlerContext
from steward.runtime import current
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from tests.support import ADMIN, Server, event, free_port, settings_for


@DBOS.workflow(name="tests.events.record")
def record(domain_event_id: int) -> None:
    record_step(domain_event_id)


@DBOS.step(name="tests.events.record_step")
def record_step(domain_event_id: int) -> None:
    runtime = current()
    with runtime.db.transaction() as session:
        row = session.execute(
            sa.text("SELECT tenant_id FROM domain_events WHERE id = :i"), {"i": domain_event_id}
        ).scalar_one()
        tenant = tenants_repo.get(session, row)
        tenants.note(session, tenant, runtime.clock.now(), "subscriber", str(domain_event_id))


def test_published_events_start_subscribers_once_and_only_on_commit(db: tuple[str, str]) -> None:
    settings = settings_for(*db, port=free_port(), sandbox=False)
    steward = build(settings)
    steward.runtime.bus.subscribe("test.happened", record)

    def publish(ctx: HandlerContext) -> None:
        tenant_id = ctx.data_object["tenant_id"]
        ctx.tenant_id = tenant_id
        steward.runtime.bus.publish(
            ctx.session, "test.happened", tenant_id=tenant_id, cause_event_id=ctx.event.id
        )
        if ctx.data_object.get("fail"):
            raise RuntimeError("rolled back after publishing")

    steward.inbox.registry.register("stripe", "test.publish", publish)
    with Server(settings.model_copy(update={"max_attempts": 1}), steward) as server:
        t = server.http.post(
            "/admin/api/tenants", json={"email": "e@example.com", "name": "E"}, headers=ADMIN
        ).json()
        ok = event("test.publish", {"id": "o1", "tenant_id": t["id"]})
        bad = event("test.publish", {"id": "o2", "tenant_id": t["id"], "fail": True})
        for ev in (ok, ok, bad):
            server.post_event(ev)
        server.wait_for(server.settled)

        def subscriber_runs() -> list[Any]:
            detail = server.http.get(f"/admin/api/tenants/{t['id']}", headers=ADMIN).json()
            return [e for e in detail["timeline"] if e["kind"] == "subscriber"]

        server.wait_for(lambda: len(subscriber_runs()) == 1)
        with server.runtime.db.read() as s:
            published = s.execute(sa.text("SELECT id FROM domain_events")).scalars().all()
        assert len(published) == 1, "the rolled-back publication must leave no event"
        assert subscriber_runs()[0]["message"] == str(published[0])
        assert server.event_status(bad["id"]) == "dead"
