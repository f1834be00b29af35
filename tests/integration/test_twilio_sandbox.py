"""The Twilio sandbox as a protocol peer: the official SDK calls it over HTTP, handsets text and
call its numbers, and the webhooks it sends a real local receiver are signed exactly as the
SDK's RequestValidator expects."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from steward.providers.twilio import (
    OPTED_OUT,
    MemoryLedger,
    MessageStatus,
    MessageStatusUpdate,
    RecipientOptedOut,
    SendInDoubt,
    TwilioGateway,
    TwilioRejected,
    TwilioUnavailable,
    may_replace,
    parse_call_status,
    parse_message_status,
    parse_sms,
    parse_status,
    parse_voice,
    verify,
)
from steward.providers.twilio._http import RebasedHttpClient
from tests.integration.twilio_peer import Peer, peer

HANDSET = "+14155550199"


@pytest.fixture
def p() -> Iterator[Peer]:
    with peer() as value:
        yield value


def sdk(p: Peer, token: str | None = None) -> Any:
    """A bare ``twilio.rest.Client`` on the sandbox, as any caller of the SDK would build it."""
    http = RebasedHttpClient(p.api, timeout=10)
    return Client(p.sandbox.account_sid, token or p.sandbox.auth_token, http_client=http)


def test_send_a_message_and_read_it_back(p: Peer) -> None:
    number = p.buy()
    sent = p.gateway.send_sms(to=HANDSET, body="Your booking is confirmed", from_number=number)
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert (sent.status, sent.direction, sent.from_number) == (
        MessageStatus.QUEUED, "outbound-api", number,
    )  # fmt: skip
    got = p.gateway.fetch_message(sent.sid)
    assert (got.status, got.body, got.to_number) == (
        MessageStatus.DELIVERED, "Your booking is confirmed", HANDSET,
    )  # fmt: skip
    assert got.sent_at is not None and got.num_segments == 1
    assert [m.sid for m in p.gateway.list_messages(to=HANDSET)] == [sent.sid]

    auth = (p.sandbox.account_sid, p.sandbox.auth_token)
    raw = httpx.get(f"{p.api}/2010-04-01/Accounts/{auth[0]}/Messages/{sent.sid}.json", auth=auth)
    assert raw.status_code == 200 and raw.headers["twilio-request-id"].startswith("RQ")
    body = raw.json()
    assert body["uri"] == f"/2010-04-01/Accounts/{auth[0]}/Messages/{sent.sid}.json"
    assert email.utils.parsedate_to_datetime(body["date_created"]).tzinfo is not None
    assert body["num_segments"] == "1" and body["price_unit"] == "USD"

    record = httpx.get(f"{p.api}/_sandbox/messages", params={"to": HANDSET}).json()["messages"]
    assert [(m["sid"], m["body"]) for m in record] == [(sent.sid, "Your booking is confirmed")]
    assert httpx.get(f"{p.api}/_sandbox/messages", params={"to": "+1"}).json()["messages"] == []


def test_lists_page_through_next_page_uri(p: Peer) -> None:
    number = p.buy()
    sids = [p.gateway.send_sms(to=HANDSET, body=f"n{i}", from_number=number).sid for i in range(7)]
    listed = sdk(p).messages.list(page_size=3)
    assert [m.sid for m in listed] == sids[::-1]  # newest first, over three pages
    first = sdk(p).messages.page(page_size=3)
    assert first._payload["page"] == 0 and first._payload["page_size"] == 3
    assert "Page=1" in first._payload["next_page_uri"]
    assert first._payload["next_page_uri"].startswith("/2010-04-01/Accounts/")
    assert len(p.gateway.list_messages(limit=5)) == 5


def test_buy_configure_and_release_a_number(p: Peer) -> None:
    offers = p.gateway.search_numbers("US", area_code="415", contains="555*1*5", limit=5)
    assert offers and all(o.phone_number.startswith("+1415555") for o in offers)
    assert offers[0].capabilities.sms and offers[0].iso_country == "US"
    assert p.gateway.search_numbers("US", area_code="533") == []
    assert p.gateway.search_numbers("GB", limit=2)[0].phone_number.startswith("+44207946")

    bought = p.gateway.buy_number(offers[0].phone_number, friendly_name="Plumber line")
    assert bought.sid.startswith("PN") and bought.friendly_name == "Plumber line"
    assert bought.sms_url == "" and bought.capabilities.voice
    again = p.gateway.search_numbers("US", contains=offers[0].phone_number[2:], limit=5)
    assert offers[0].phone_number not in [o.phone_number for o in again]  # owned now

    updated = p.gateway.update_number(
        bought.sid, sms_url=p.receiver.url("sms"), voice_url=p.receiver.url("voice"),
        status_callback=p.receiver.url("status"),
    )  # fmt: skip
    assert (updated.sms_url, updated.voice_url) == (p.receiver.url("sms"), p.receiver.url("voice"))
    assert updated.friendly_name == "Plumber line"  # untouched: not given
    assert [n.sid for n in p.gateway.list_numbers(phone_number=bought.phone_number)] == [bought.sid]

    with pytest.raises(TwilioRejected) as taken:
        p.gateway.buy_number(bought.phone_number)
    assert taken.value.twilio_code == 21422 and taken.value.status == 400
    with pytest.raises(TwilioRestException) as empty:
        sdk(p).incoming_phone_numbers.create(area_code="533")
    assert empty.value.code == 21452

    assert p.gateway.release_number(bought.sid) is True
    assert p.gateway.release_number(bought.sid) is False  # already gone: safe to repeat
    assert p.gateway.list_numbers() == []


def test_a_handset_texts_a_number_and_the_post_is_signed(p: Peer) -> None:
    number = p.buy()
    p.receiver.twiml = "<Response><Message>Thanks, we will call you back.</Message></Response>"
    inbound = p.sandbox.text(HANDSET, number, "Hi, my boiler is broken")
    [hook] = p.receiver.wait(1, "sms")
    assert hook.valid  # RequestValidator accepts it
    assert hook.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert hook.headers["i-twilio-idempotency-token"]
    token, signature = p.sandbox.auth_token, hook.headers["x-twilio-signature"]
    assert verify(token, hook.url, hook.form, signature)
    assert not verify(token, hook.url, {**hook.form, "Body": "Send me money"}, signature)
    assert not verify(token, hook.url + "?x=1", hook.form, signature)
    assert not verify("another-token", hook.url, hook.form, signature)
    assert not verify(token, hook.url, hook.form, None)

    sms = parse_sms(hook.form)
    assert (sms.message_sid, sms.from_number, sms.to_number) == (inbound["sid"], HANDSET, number)
    assert sms.body == "Hi, my boiler is broken" and sms.opt_out is None
    assert p.sandbox.wait_idle(5)
    [reply] = p.sandbox.messages(to=HANDSET)
    assert (reply["direction"], reply["from"]) == ("outbound-reply", number)
    assert reply["body"] == "Thanks, we will call you back."

    callback = p.receiver.url("reply")
    p.receiver.twiml = f'<Response><Message statusCallback="{callback}">Noted</Message></Response>'
    p.sandbox.text(HANDSET, number, "Tomorrow 9am?")
    statuses = [parse_message_status(h.form) for h in p.receiver.wait(3, "reply")]
    assert [s.status for s in statuses] == ["queued", "sent", "delivered"]
    assert p.gateway.fetch_message(statuses[0].message_sid).body == "Noted"


def test_status_callbacks_arrive_in_order(p: Peer) -> None:
    number = p.buy()
    sent = p.gateway.send_sms(
        to=HANDSET, body="On our way", from_number=number, status_callback=p.receiver.url("msg")
    )
    hooks = p.receiver.wait(3, "msg")
    assert all(h.valid for h in hooks)
    updates = [parse_status(h.form) for h in hooks]  # told apart by their own fields
    assert all(isinstance(u, MessageStatusUpdate) for u in updates)
    assert [u.status for u in updates] == ["queued", "sent", "delivered"]
    assert {parse_message_status(h.form).message_sid for h in hooks} == {sent.sid}


def test_reordered_callbacks_and_the_rank_keeps_the_newest(p: Peer) -> None:
    number = p.buy()
    httpx.post(f"{p.api}/_sandbox/faults", json={"reorder": True}).raise_for_status()
    p.gateway.send_sms(
        to=HANDSET, body="Invoice sent", from_number=number, status_callback=p.receiver.url("msg")
    )
    assert p.sandbox.wait_idle(5) and p.receiver.received("msg") == []
    assert httpx.post(f"{p.api}/_sandbox/flush").json() == {"released": 3}
    hooks = p.receiver.wait(3, "msg")
    arrived = [parse_status(h.form).status for h in hooks]
    assert arrived == ["delivered", "sent", "queued"]
    stored = MessageStatus(arrived[0])
    for status in arrived[1:]:
        incoming = MessageStatus(status)
        if may_replace(stored, incoming):
            stored = incoming
    assert stored is MessageStatus.DELIVERED


def test_stop_refuses_with_21610_until_start(p: Peer) -> None:
    number = p.buy()
    p.sandbox.text(HANDSET, number, " Stop ")
    [hook] = p.receiver.wait(1, "sms")  # Twilio still forwards the STOP itself
    assert parse_sms(hook.form).opt_out == "stop" and p.sandbox.opted_out(HANDSET, number)
    assert "unsubscribed" in p.sandbox.messages(to=HANDSET)[0]["body"]
    with pytest.raises(TwilioRestException) as refused:
        sdk(p).messages.create(to=HANDSET, from_=number, body="Still there?")
    assert (refused.value.code, refused.value.status) == (OPTED_OUT, 400)
    with pytest.raises(RecipientOptedOut) as typed:
        p.gateway.send_sms(to=HANDSET, body="Still there?", from_number=number)
    assert typed.value.twilio_code == 21610 and not typed.value.retryable
    assert typed.value.http_status == 409

    httpx.post(
        f"{p.api}/_sandbox/handsets/{HANDSET}/messages", json={"to": number, "body": "START"}
    ).raise_for_status()
    assert not p.sandbox.opted_out(HANDSET, number)
    assert p.gateway.send_sms(to=HANDSET, body="Welcome back", from_number=number).sid


def test_bad_credentials_get_twilios_401(p: Peer) -> None:
    url = f"{p.api}/2010-04-01/Accounts/{p.sandbox.account_sid}/Messages.json"
    for auth in (None, (p.sandbox.account_sid, "wrong"), ("AC" + "0" * 32, p.sandbox.auth_token)):
        answer = httpx.get(url, auth=auth)
        assert answer.status_code == 401
        assert answer.json() == {
            "code": 20003, "message": "Authenticate",
            "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401,
        }  # fmt: skip
        assert answer.headers["www-authenticate"].startswith("Basic")
    wrong = TwilioGateway(p.sandbox.account_sid, "wrong-token", p.api)
    with pytest.raises(TwilioRejected) as info:
        wrong.fetch_message("SM" + "0" * 32)
    assert (info.value.twilio_code, info.value.status) == (20003, 401)
    wrong.close()


def test_fail_next_fault_makes_the_sdk_raise(p: Peer) -> None:
    number = p.buy()
    faults = {"fail_next": 1, "fail_status": 503}
    assert httpx.post(f"{p.api}/_sandbox/faults", json=faults).json()["fail_next"] == 1
    with pytest.raises(TwilioRestException) as info:
        sdk(p).messages.create(to=HANDSET, from_=number, body="hello")
    assert (info.value.status, info.value.code) == (503, 20503)
    assert sdk(p).messages.create(to=HANDSET, from_=number, body="hello").sid  # once only

    p.sandbox.faults.fail_next = 1
    with pytest.raises(TwilioException):  # a list page failing: not a TwilioRestException
        sdk(p).messages.list()
    p.sandbox.faults.fail_next, p.sandbox.faults.fail_status = 1, 500
    with pytest.raises(TwilioUnavailable) as typed:
        p.gateway.list_messages()
    assert (typed.value.status, typed.value.twilio_code) == (500, 20500) and typed.value.retryable


def test_a_handset_calls_a_number(p: Peer) -> None:
    number = p.buy()
    call = p.sandbox.call(HANDSET, number, duration=42)
    [voice] = p.receiver.wait(1, "voice")
    assert voice.valid
    inbound = parse_voice(voice.form)
    assert (inbound.call_sid, inbound.status, inbound.direction) == (
        call["sid"],
        "ringing",
        "inbound",
    )
    hooks = p.receiver.wait(3, "status")
    assert all(h.valid for h in hooks)
    updates = [parse_call_status(h.form) for h in hooks]
    assert [(u.status, u.sequence) for u in updates] == [
        ("ringing", 0), ("in-progress", 1), ("completed", 2),
    ]  # fmt: skip
    assert updates[-1].duration_seconds == 42
    fetched = p.gateway.fetch_call(call["sid"])
    assert (fetched.status, fetched.duration_seconds, fetched.from_number) == (
        "completed", 42, HANDSET,
    )  # fmt: skip

    busy = p.sandbox.call(HANDSET, number, ending="busy")
    hooks = p.receiver.wait(5, "status")
    assert [parse_call_status(h.form).status for h in hooks[3:]] == ["ringing", "busy"]
    assert p.gateway.fetch_call(busy["sid"]).duration_seconds == 0


def test_an_outbound_call_reports_only_what_was_asked(p: Peer) -> None:
    number = p.buy()
    created = sdk(p).calls.create(
        to=HANDSET, from_=number, url=p.receiver.url("answer"),
        status_callback=p.receiver.url("progress"),
    )  # fmt: skip
    assert created.sid.startswith("CA") and created.status == "queued"
    [done] = p.receiver.wait(1, "progress")
    assert parse_call_status(done.form).status == "completed"  # the default event only
    assert p.receiver.wait(1, "answer")[0].form["CallStatus"] == "in-progress"


def test_duplicate_drop_and_delay_faults(p: Peer) -> None:
    number = p.buy()
    p.sandbox.faults.duplicate = 1
    p.sandbox.text(HANDSET, number, "twice")
    first, second = p.receiver.wait(2, "sms")
    assert first.form == second.form and first.valid and second.valid
    token = "i-twilio-idempotency-token"
    assert first.headers[token] == second.headers[token]

    p.sandbox.faults.duplicate = 0
    p.sandbox.faults.drop_next = 1
    p.sandbox.text(HANDSET, number, "lost")
    p.sandbox.text(HANDSET, number, "kept")
    assert p.sandbox.wait_idle(5)
    assert [h.form["Body"] for h in p.receiver.received("sms")] == ["twice", "twice", "kept"]
    assert [d.outcome for d in p.sandbox.deliveries if d.kind == "sms"][-2:] == [
        "dropped", "delivered",
    ]  # fmt: skip

    p.sandbox.faults.delay_ms = 300
    started = time.monotonic()
    p.sandbox.text(HANDSET, number, "late")
    time.sleep(0.1)
    assert len(p.receiver.received("sms")) == 3
    assert p.sandbox.wait_idle(5) and len(p.receiver.received("sms")) == 4
    assert time.monotonic() - started >= 0.3


def test_a_keyed_send_texts_once(p: Peer) -> None:
    number = p.buy()
    ledger = MemoryLedger()
    keyed = TwilioGateway(p.sandbox.account_sid, p.sandbox.auth_token, p.api, ledger=ledger)
    try:
        first = keyed.send_sms(to=HANDSET, body="Welcome", from_number=number, key="welcome:1")
        again = keyed.send_sms(to=HANDSET, body="Welcome", from_number=number, key="welcome:1")
        assert again.sid == first.sid and len(p.sandbox.messages(to=HANDSET)) == 1

        p.sandbox.faults.fail_next = 1  # Twilio fails: did the text go? the key stays in doubt
        with pytest.raises(TwilioUnavailable):
            keyed.send_sms(to=HANDSET, body="Trial ends", from_number=number, key="trial:1")
        with pytest.raises(SendInDoubt):
            keyed.send_sms(to=HANDSET, body="Trial ends", from_number=number, key="trial:1")
        found = [m for m in keyed.list_messages(to=HANDSET) if m.body == "Trial ends"]
        assert found == []  # resolved by looking: Twilio never took it, so free the key
        ledger.release("trial:1")
        resent = keyed.send_sms(to=HANDSET, body="Trial ends", from_number=number, key="trial:1")
        assert ledger.sid("trial:1") == resent.sid

        with pytest.raises(TwilioRejected):  # refused: certainly not sent, so released
            keyed.send_sms(to="not-a-number", body="x", from_number=number, key="bad:1")
        assert ledger.sid("bad:1") is None and ledger.claim("bad:1") is None
    finally:
        keyed.close()


def test_messaging_service_and_unreachable_handset(p: Peer) -> None:
    number = p.buy()
    service = httpx.post(f"{p.api}/_sandbox/services", json={"numbers": [number]}).json()["sid"]
    assert service.startswith("MG")
    httpx.post(f"{p.api}/_sandbox/handsets/{HANDSET}", json={"reachable": False})
    sent = p.gateway.send_sms(
        to=HANDSET, body="Hello", messaging_service_sid=service,
        status_callback=p.receiver.url("msg"),
    )  # fmt: skip
    assert (sent.status, sent.from_number, sent.messaging_service_sid) == (
        "accepted",
        None,
        service,
    )
    hooks = p.receiver.wait(3, "msg")
    last = parse_message_status(hooks[-1].form)
    assert (last.status, last.error_code, last.from_number) == ("undelivered", 30003, number)
    got = p.gateway.fetch_message(sent.sid)
    assert (got.status, got.error_code, got.from_number) == ("undelivered", 30003, number)

    p.sandbox.text(HANDSET, number, "STOP")  # an opt-out covers the whole service
    with pytest.raises(RecipientOptedOut):
        p.gateway.send_sms(to=HANDSET, body="Hello", messaging_service_sid=service)


def test_unknown_things_answer_twilios_404(p: Peer) -> None:
    with pytest.raises(TwilioRejected) as info:
        p.gateway.fetch_message("SM" + "0" * 32)
    assert (info.value.status, info.value.twilio_code) == (404, 20404)
    auth = (p.sandbox.account_sid, p.sandbox.auth_token)
    nowhere = httpx.get(f"{p.api}/2010-04-01/Accounts/{auth[0]}/Faxes.json", auth=auth)
    assert nowhere.status_code == 404 and nowhere.json()["code"] == 20404
    assert "/2010-04-01/Accounts/" in nowhere.json()["message"]
    with pytest.raises(TwilioRejected) as country:
        p.gateway.search_numbers("FR")
    assert country.value.status == 404


def test_bad_input_gets_twilios_codes(p: Peer) -> None:
    number = p.buy()
    cases: list[tuple[dict[str, Any], int]] = [
        ({"to": "+1 415 555", "from_": number, "body": "x"}, 21211),
        ({"to": HANDSET, "from_": "+14155550142", "body": "x"}, 21606),
        ({"to": HANDSET, "from_": number, "body": ""}, 21602),
        ({"to": HANDSET, "from_": number, "body": "x" * 1601}, 21617),
        ({"to": HANDSET, "from_": number, "body": "x", "status_callback": "ftp://x"}, 21609),
    ]
    client = sdk(p)
    for params, code in cases:
        with pytest.raises(TwilioRestException) as info:
            client.messages.create(**params)
        assert (info.value.code, info.value.status) == (code, 400), params


def test_control_routes_check_their_input(p: Peer) -> None:
    bad = [{"fail_next": -1}, {"fail_status": 404}, {"drop_kinds": ["fax"]}, {"nope": 1}]
    for faults in bad:
        assert httpx.post(f"{p.api}/_sandbox/faults", json=faults).status_code == 400
    assert httpx.post(f"{p.api}/_sandbox/faults", content=b"[1]").status_code == 400
    texts = f"{p.api}/_sandbox/handsets/{HANDSET}/messages"
    assert httpx.post(texts, json={"to": "+14155550100", "body": "x"}).status_code == 404
    assert httpx.post(texts, json={"to": 5}).status_code == 400
    assert httpx.get(f"{p.api}/_sandbox/messages", params={"direction": "up"}).status_code == 400
