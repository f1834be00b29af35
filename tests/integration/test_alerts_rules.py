"""Alert rules on the test clock, through the real server: an alert fires once, is suppressed,
re-notifies after the interval, escalates, resolves when the condition clears, and fires again on
a new occurrence; mute with expiry; delivery to a local HTTP receiver through apprise with a
failing channel beside it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from steward.alerts import repository as alerts_repo
from tests.integration.alerts_world import Receiver, World, world
from tests.support import ADMIN, checkout_completed, free_port

__all__ = ["world"]


def titles(receiver: Receiver) -> list[str]:
    return [m["title"] for m in receiver.messages]


def test_alert_fires_once_renotifies_escalates_resolves_and_fires_again(world: World) -> None:
    world.fresh()
    server, clock, rx, tenant, alerts = (
        world.server,
        world.clock,
        world.rx,
        world.tenant,
        world.alerts,
    )
    alice, bob = tenant("Alice Plumbing"), tenant("Bob Electric")
    clock.advance(timedelta(hours=1, minutes=59))
    assert server.alerts.sweep().opened == 0  # under the 2 h threshold
    clock.advance(timedelta(minutes=2))
    report = server.alerts.sweep()
    assert (report.opened, report.notified) == (2, 2)
    server.wait_for(lambda: len(rx.messages) == 2)
    assert titles(rx) == ["[WARNING] Stuck at the payment gate"] * 2
    assert any("Alice Plumbing signed up 2 h 1 min ago" in m["message"] for m in rx.messages)

    # A persisting condition does not alert again...
    clock.advance(timedelta(hours=1))
    report = server.alerts.sweep()
    assert (report.opened, report.notified, report.matched) == (0, 0, 2)
    assert len(alerts(alert_type="payment_gate", status="open")) == 2
    # ...until the re-notify interval (6 h) has passed.
    clock.advance(timedelta(hours=5))
    assert server.alerts.sweep().notified == 2
    server.wait_for(lambda: len(rx.messages) == 4)

    # Alice pays: the payment clears her alert.
    server.post_event(checkout_completed(alice))
    server.wait_for(server.settled)
    report = server.alerts.sweep()
    assert report.resolved == 1
    [resolved] = alerts(resource_id=f"tenant:{alice}")
    assert resolved["status"] == "resolved" and resolved["resolved_by"] == "steward"

    # Bob's is acknowledged, then rises to critical after a day: it opens and alerts again.
    [bobs] = alerts(resource_id=f"tenant:{bob}", status="open")
    assert (
        server.http.post(f"/admin/api/alerts/{bobs['id']}/ack", headers=ADMIN).json()["status"]
        == "acknowledged"
    )
    clock.advance(timedelta(hours=17))
    assert server.alerts.sweep().escalated == 1
    server.wait_for(lambda: "[CRITICAL] Stuck at the payment gate" in titles(rx))
    [bobs] = alerts(resource_id=f"tenant:{bob}")
    assert (bobs["severity"], bobs["status"]) == ("critical", "open")

    # Reset (JobRun's resetPaymentGateAlert): the suppression ends, Bob alerts again.
    r = server.http.patch(f"/admin/api/tenants/{bob}/reset-payment-alert", headers=ADMIN)
    assert r.json()["resolved_alerts"] == [bobs["id"]]
    before = len(rx.messages)
    assert server.alerts.sweep().opened == 1
    server.wait_for(lambda: len(rx.messages) == before + 1)
    history = alerts(resource_id=f"tenant:{bob}")
    assert [a["status"] for a in history] == ["open", "resolved"]
    detail = server.http.get(f"/admin/api/alerts/{bobs['id']}", headers=ADMIN).json()
    kinds = [h["kind"] for h in detail["history"]]
    assert kinds[:2] == ["opened", "notified"] and "acknowledged" in kinds
    assert kinds[-1] == "reset" and "escalated" in kinds
    audit = server.http.get(
        "/admin/api/audit", params={"target": f"tenant:{bob}"}, headers=ADMIN
    ).json()
    assert [e["action"] for e in audit["items"]] == ["tenant.reset_payment"]


def test_mute_with_expiry_records_but_does_not_send_until_it_expires(world: World) -> None:
    world.fresh()
    server, clock, rx, tenant, alerts = (
        world.server,
        world.clock,
        world.rx,
        world.tenant,
        world.alerts,
    )
    quiet, _loud = tenant("Quiet Ltd"), tenant("Loud Ltd")
    r = server.http.patch(
        f"/admin/api/tenants/{quiet}/mute-alerts",
        json={"minutes": 180, "reason": "founder is on the phone with them"},
        headers=ADMIN,
    )
    assert r.status_code == 200 and r.json()["muted"] is True, r.text
    clock.advance(timedelta(hours=2, minutes=1))
    report = server.alerts.sweep()
    assert (report.opened, report.notified, report.muted) == (2, 1, 1)
    server.wait_for(lambda: len(rx.messages) == 1)
    assert "Loud Ltd" in rx.messages[0]["message"]
    [muted] = alerts(tenant_id=quiet)
    assert muted["notifications"] == 0  # recorded, visible, not sent
    clock.advance(timedelta(minutes=60))
    assert server.alerts.sweep().notified == 1  # the mute expired: sent now
    server.wait_for(lambda: len(rx.messages) == 2)
    assert "Quiet Ltd" in rx.messages[1]["message"]
    with server.runtime.db.read() as session:
        kinds = [h.kind for h in alerts_repo.history_of(session, [muted["id"]])]
    assert kinds == ["opened", "muted", "notified"]
    # Unmute is audited too.
    server.http.patch(
        f"/admin/api/tenants/{quiet}/mute-alerts", json={"muted": False}, headers=ADMIN
    )
    audit = server.http.get(
        "/admin/api/audit", params={"target": f"tenant:{quiet}"}, headers=ADMIN
    ).json()
    assert [e["action"] for e in audit["items"]] == ["tenant.unmute_alerts", "tenant.mute_alerts"]


def test_a_failing_channel_is_retried_logged_and_blocks_nothing(world: World) -> None:
    dead = f"json://127.0.0.1:{free_port()}/"  # nothing listens there
    world.fresh([dead, world.rx.url])
    server, clock, rx, tenant, alerts = (
        world.server,
        world.clock,
        world.rx,
        world.tenant,
        world.alerts,
    )
    tid = tenant("Carol Cafe")
    clock.advance(timedelta(hours=3))
    report = server.alerts.sweep()
    assert report.notified == 1 and report.seconds < 5
    server.wait_for(lambda: len(rx.messages) == 1)
    [alert] = alerts(tenant_id=tid)

    def deliveries() -> list[dict[str, Any]]:
        r = server.http.get(f"/admin/api/alerts/{alert['id']}", headers=ADMIN)
        return list(r.json()["deliveries"])

    server.wait_for(lambda: len([d for d in deliveries() if not d["ok"]]) == 3)
    log = deliveries()
    ok = [d for d in log if d["ok"]]
    failed = sorted(d["attempt"] for d in log if not d["ok"])
    assert len(ok) == 1 and ok[0]["attempt"] == 1
    assert failed == [1, 2, 3] and all(d["error"] for d in log if not d["ok"])
    assert {d["notification"] for d in log} == {f"alert-{alert['id']}-1"}
    assert f"ref: alert-{alert['id']}-1" in rx.messages[0]["message"]
