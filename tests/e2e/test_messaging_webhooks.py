"""Twilio's webhooks into the inbox, both DBs, the Twilio sandbox as the peer: a handset's text
is stored once (duplicates are no-ops) and listed under source=twilio; a forged or missing
signature is refused with 403 and stores nothing; calls and their statuses are stored too."""

from __future__ import annotations

import json

from steward.providers.twilio import sign
from steward.providers.twilio.sandbox import ACCOUNT_SID, AUTH_TOKEN
from tests.e2e.messaging_helpers import (
    NUMBER,
    clean_faults,
    events,
    handset,
    messages,
    server,
    twilio,
    wait,
)
from tests.support import ADMIN, Server

__all__ = ["clean_faults", "server"]


def _form(sid: str, phone: str, body: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "Body": body, "From": phone,
        "MessageSid": sid, "NumMedia": "0", "NumSegments": "1", "SmsSid": sid,
        "SmsStatus": "received", "To": NUMBER,
    }  # fmt: skip


def test_a_text_is_stored_once_and_listed_by_source(server: Server) -> None:
    phone = handset()
    twilio(server).faults.duplicate = 2  # Twilio may deliver a webhook more than once
    inbound = twilio(server).text(phone, NUMBER, "Hi, is this JobRun?")
    sid = inbound["sid"]
    wait(lambda: any(e["external_id"] == sid and e["status"] == "processed"
                     for e in events(server, source="twilio")))  # fmt: skip
    twilio(server).wait_idle()
    posts = [d for d in twilio(server).deliveries if d.sid == sid and d.kind == "sms"]
    assert len(posts) == 3 and all(d.status_code == 200 for d in posts)
    assert all(d.answer.endswith("<Response/>") for d in posts)
    stored = [e for e in events(server, source="twilio") if e["external_id"] == sid]
    assert len(stored) == 1
    assert (stored[0]["type"], stored[0]["deliveries"]) == ("sms.received", 3)
    assert not [e for e in events(server, source="stripe") if e["external_id"] == sid]
    detail = server.http.get(f"/admin/api/events/{stored[0]['id']}", headers=ADMIN).json()
    payload = json.loads(detail["payload"])
    assert (payload["id"], payload["keyword"], payload["form"]["Body"]) == (
        sid, None, "Hi, is this JobRun?"
    )  # fmt: skip
    recorded = messages(server, phone)
    assert [(m["direction"], m["twilio_sid"], m["status"]) for m in recorded] == [
        ("in", sid, "received")
    ]
    assert "body" not in recorded[0]  # the admin API shows a hash, never the text


def test_a_forged_or_missing_signature_is_refused_and_nothing_stored(server: Server) -> None:
    phone = handset()
    url = f"{server.base_url}/webhooks/twilio/sms"
    before = len(events(server, source="twilio"))
    forged = _form("SM" + "f" * 32, phone, "STOP")
    for headers in (
        {"X-Twilio-Signature": sign("not-the-auth-token-0000000000000", url, forged)},
        {"X-Twilio-Signature": sign(AUTH_TOKEN, url, {**forged, "Body": "hello"})},
        {},
    ):
        r = server.http.post("/webhooks/twilio/sms", data=forged, headers=headers)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "twilio_signature_invalid"
    assert len(events(server, source="twilio")) == before
    # Signed as Twilio signs, over the public URL, the same form is taken.
    genuine = _form("SM" + "e" * 32, phone, "hello")
    ok = server.http.post(
        "/webhooks/twilio/sms", data=genuine,
        headers={"X-Twilio-Signature": sign(AUTH_TOKEN, url, genuine)},
    )  # fmt: skip
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("application/xml")
    assert len(events(server, source="twilio")) == before + 1


def test_a_call_and_its_statuses_are_stored_under_their_ids(server: Server) -> None:
    phone = handset()
    call = twilio(server).call(phone, NUMBER, ending="completed", duration=7)
    sid = call["sid"]
    want = {sid: "call.received", **{f"{sid}:{s}": "call.status"
                                     for s in ("ringing", "in-progress", "completed")}}  # fmt: skip
    wait(lambda: want.keys() <= {e["external_id"] for e in events(server, source="twilio")})
    got = {
        e["external_id"]: e["type"]
        for e in events(server, source="twilio")
        if sid in e["external_id"]
    }
    assert got == want
