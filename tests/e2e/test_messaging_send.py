"""send_sms through the Twilio sandbox, both DBs: one text per message even when the send step
runs again (after it finished, or after a crash between Twilio's answer and our record, or
while Twilio was failing); statuses end at the newest whatever order their callbacks come in."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from steward.alerts import repository as alerts_repo
from steward.messaging import workflows
from tests.e2e.messaging_helpers import (
    api_sends,
    clean_faults,
    handset,
    message,
    send,
    server,
    status_of,
    twilio,
    wait,
)
from tests.support import ADMIN, Server

__all__ = ["clean_faults", "server"]


def test_a_send_texts_once_even_when_its_step_runs_again(server: Server) -> None:
    phone = handset()
    r = send(server, phone, f"welcome:{phone}")
    assert r.status_code == 202, r.text
    sent = r.json()
    assert sent["status"] == "pending" and sent["twilio_sid"] is None
    wait(lambda: status_of(server, sent["id"]) == "delivered")
    assert len(api_sends(server, phone)) == 1
    again = send(server, phone, f"welcome:{phone}")  # the same key: the same message
    assert again.status_code == 202 and again.json()["id"] == sent["id"]
    # The step again, as DBOS re-runs one whose result it never recorded.
    assert workflows.send_step(sent["id"]) == "delivered"
    # A crash after Twilio took the text but before the sid was saved: the claim is in doubt,
    # and the re-run finds the text at Twilio instead of sending another.
    with server.runtime.db.transaction() as s:
        s.execute(
            sa.text("UPDATE messages SET twilio_sid = NULL, status = 'claimed' WHERE id = :i"),
            {"i": sent["id"]},
        )
    workflows.send_step(sent["id"])
    twilio(server).wait_idle()
    assert len(api_sends(server, phone)) == 1
    detail = message(server, sent["id"])
    assert detail["twilio_sid"] == api_sends(server, phone)[0]["sid"]
    path = [t["to_status"] for t in detail["transitions"]]
    assert path[:3] == ["pending", "claimed", "queued"] and "delivered" in path


def test_twilio_failing_then_recovering_sends_once(server: Server) -> None:
    phone = handset()
    twilio(server).faults.fail_next = 1  # Twilio answers 500: the text may or may not exist
    r = send(server, phone, f"retry:{phone}")
    assert r.status_code == 202, r.text
    wait(lambda: status_of(server, r.json()["id"]) == "delivered", 30)
    assert len(api_sends(server, phone)) == 1
    causes = [t["cause"] for t in message(server, r.json()["id"])["transitions"]]
    assert "send: released" in causes  # looked at Twilio, found nothing, then sent


def test_callbacks_in_any_order_end_at_the_newest_status(server: Server) -> None:
    phone = handset()
    sandbox = twilio(server)
    sandbox.faults.reorder = True  # hold the callbacks, then deliver them newest first
    r = send(server, phone, f"reorder:{phone}")
    wait(lambda: status_of(server, r.json()["id"]) == "queued")
    assert sandbox.flush() == 3
    sandbox.wait_idle()
    server.wait_for(server.settled)
    detail = message(server, r.json()["id"])
    assert detail["status"] == "delivered"
    assert [t["to_status"] for t in detail["transitions"]][-1] == "delivered"
    assert "sent" not in [t["to_status"] for t in detail["transitions"]]  # older: ignored


def test_an_unreachable_handset_ends_undelivered_with_its_error(server: Server) -> None:
    phone = handset()
    twilio(server).set_handset(phone, reachable=False)
    r = send(server, phone, f"unreachable:{phone}")
    wait(lambda: status_of(server, r.json()["id"]) == "undelivered")
    assert message(server, r.json()["id"])["error_code"] == 30003


def test_twilio_down_past_every_retry_alerts_and_a_retry_sends_once(server: Server) -> None:
    phone = handset()
    sandbox = twilio(server)
    sandbox.faults.fail_next = 100  # every API call fails: the send and each look at Twilio
    r = send(server, phone, f"down:{phone}")
    message_id = r.json()["id"]
    wait(lambda: any(a.rule == "sms_not_sent" and a.resource_id == f"message:{message_id}"
                     for a in open_alerts(server)), 60)  # fmt: skip
    assert status_of(server, message_id) == "claimed"  # in doubt: not marked sent or failed
    sandbox.faults.fail_next = 0
    assert api_sends(server, phone) == []
    retried = server.http.post(f"/admin/api/messaging/messages/{message_id}/retry", headers=ADMIN)
    assert retried.status_code == 202, retried.text
    wait(lambda: status_of(server, message_id) == "delivered")
    assert len(api_sends(server, phone)) == 1
    again = server.http.post(f"/admin/api/messaging/messages/{message_id}/retry", headers=ADMIN)
    assert again.status_code == 409


def open_alerts(server: Server) -> list[Any]:
    with server.runtime.db.read() as s:
        rows, _ = alerts_repo.search(s, alerts_repo.AlertFilter(None, None, None, None, None))
        return list(rows)
