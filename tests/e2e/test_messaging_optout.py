"""STOP, START, HELP and Twilio's 21610, both DBs, through the sandbox's handsets: after STOP
nothing is sent (refused with recipient_opted_out, the sandbox sees no send); START sends again;
HELP is answered with the product's help text; a 21610 from Twilio opts the number out."""

from __future__ import annotations

import json
from typing import Any

from steward.messaging import service
from tests.e2e.messaging_helpers import (
    NUMBER,
    api_sends,
    clean_faults,
    events,
    handset,
    message,
    opted_out,
    send,
    server,
    status_of,
    twilio,
    wait,
)
from tests.support import ADMIN, Server

__all__ = ["clean_faults", "server"]


def _texts(server: Server, phone: str, body: str) -> dict[str, Any]:
    """The handset texts the product number; returns the inbox's event once processed."""
    sid = twilio(server).text(phone, NUMBER, body)["sid"]
    wait(lambda: any(e["external_id"] == sid and e["status"] == "processed"
                     for e in events(server, source="twilio")))  # fmt: skip
    event = next(e for e in events(server, source="twilio") if e["external_id"] == sid)
    r = server.http.get(f"/admin/api/events/{event['id']}", headers=ADMIN)
    return dict(json.loads(r.json()["payload"]))


def test_stop_refuses_every_send_until_start(server: Server) -> None:
    phone = handset()
    stop = _texts(server, phone, "  stop ")
    assert stop["keyword"] == "stop"  # other domains' handlers skip keyword texts
    assert service.is_keyword(stop["form"]["Body"])
    assert opted_out(server, phone)
    r = send(server, phone, f"after-stop:{phone}")
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "recipient_opted_out"
    server.wait_for(server.settled)
    twilio(server).wait_idle()
    assert api_sends(server, phone) == []  # only Twilio's own unsubscribe notice went out
    _texts(server, phone, "START")
    assert not opted_out(server, phone)
    r = send(server, phone, f"after-start:{phone}")
    assert r.status_code == 202, r.text
    wait(lambda: status_of(server, r.json()["id"]) == "delivered")
    assert len(api_sends(server, phone)) == 1


def test_help_is_answered_with_the_products_help_text(server: Server) -> None:
    phone = handset()
    _texts(server, phone, "Help")
    wait(lambda: len(api_sends(server, phone)) == 1)
    reply = api_sends(server, phone)[0]
    assert reply["body"] == service.help_text(server.runtime) and reply["from"] == NUMBER
    assert server.runtime.product.name in reply["body"]
    server.wait_for(server.settled)
    twilio(server).wait_idle()
    assert len(api_sends(server, phone)) == 1  # once, though Twilio may repeat the webhook


def test_twilio_21610_marks_the_number_opted_out(server: Server) -> None:
    phone = handset()
    sandbox = twilio(server)
    with sandbox.store.lock:  # opted out at Twilio (e.g. STOP sent while we were down)
        sandbox.store.opt_outs.add((NUMBER, phone))
    r = send(server, phone, f"refused:{phone}")
    assert r.status_code == 202, r.text
    wait(lambda: status_of(server, r.json()["id"]) == "failed")
    assert message(server, r.json()["id"])["error_code"] == 21610
    assert opted_out(server, phone)
    again = send(server, phone, f"refused-again:{phone}")
    assert again.status_code == 409 and again.json()["error"]["code"] == "recipient_opted_out"
    assert api_sends(server, phone) == []
