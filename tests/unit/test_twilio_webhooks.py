"""Twilio's webhooks parsed from recorded-style form bodies (tests/fixtures/twilio), their
signature, and the order of statuses."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.errors import BadWebhook
from steward.providers.twilio import (
    CallStatus,
    CallStatusUpdate,
    MalformedTwilioRequest,
    MessageStatus,
    MessageStatusUpdate,
    OptOut,
    decode_form,
    is_final,
    keyword,
    may_replace,
    parse_call_status,
    parse_sms,
    parse_status,
    parse_voice,
    rank,
    sign,
    verify,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "twilio"
TOKEN = "12345678901234567890123456789012"
URL = "https://steward.example/webhooks/twilio/sms?tenant=ten_1"


def form(name: str) -> dict[str, str]:
    return decode_form((FIXTURES / name).read_bytes().strip())


def test_inbound_sms() -> None:
    sms = parse_sms(form("inbound_sms.form"))
    assert sms.message_sid == "SM" + "1f" * 16 and sms.account_sid.startswith("AC")
    assert (sms.from_number, sms.to_number) == ("+14155550199", "+14155550100")
    assert sms.body == "Hi, is this the plumber? Tap water everywhere!"
    assert (sms.num_segments, sms.media, sms.messaging_service_sid, sms.opt_out) == (
        1, (), None, None,
    )  # fmt: skip


def test_inbound_mms_lists_its_media() -> None:
    sms = parse_sms(form("inbound_mms.form"))
    assert sms.message_sid.startswith("MM") and sms.body == ""
    assert [m.content_type for m in sms.media] == ["image/jpeg", "image/png"]
    assert all(m.url.startswith("https://api.twilio.com/") for m in sms.media)


def test_opt_out_from_twilios_field_or_the_body() -> None:
    advanced = parse_sms(form("inbound_sms_opt_out.form"))
    assert advanced.opt_out is OptOut.STOP  # OptOutType, although the body is "Stop please"
    assert advanced.messaging_service_sid == "MG" + "5b" * 16
    plain = form("inbound_sms.form")
    assert parse_sms({**plain, "Body": " stop "}).opt_out is OptOut.STOP
    assert parse_sms({**plain, "Body": "Unstop"}).opt_out is OptOut.START
    assert [keyword(b) for b in ("STOP ALL", "stop all", "info", "stopp", "please stop")] == [
        OptOut.STOP, OptOut.STOP, OptOut.HELP, None, None,
    ]  # fmt: skip


def test_inbound_voice() -> None:
    call = parse_voice(form("inbound_voice.form"))
    assert (call.call_sid, call.status, call.direction) == (
        "CA" + "3d" * 16, CallStatus.RINGING, "inbound",
    )  # fmt: skip
    assert call.from_number == "+14155550199" and call.caller_name is None


def test_status_callbacks_of_both_kinds() -> None:
    delivered = parse_status(form("message_status_delivered.form"))
    assert isinstance(delivered, MessageStatusUpdate)
    assert (delivered.status, delivered.error_code) == (MessageStatus.DELIVERED, None)
    failed = parse_status(form("message_status_undelivered.form"))
    assert isinstance(failed, MessageStatusUpdate)
    assert (failed.status, failed.error_code) == (MessageStatus.UNDELIVERED, 30003)
    completed = parse_status(form("call_status_completed.form"))
    assert isinstance(completed, CallStatusUpdate)
    assert (completed.status, completed.duration_seconds, completed.sequence) == (
        CallStatus.COMPLETED, 42, 2,
    )  # fmt: skip
    busy = parse_call_status(form("call_status_busy.form"))
    assert (busy.status, busy.direction, busy.duration_seconds) == ("busy", "outbound-api", 0)
    legacy = {k: v for k, v in form("message_status_sent.form").items() if k[0] != "M"}
    assert parse_status(legacy).status == MessageStatus.SENT  # SmsSid / SmsStatus only


@pytest.mark.parametrize(
    ("fixture", "changes"),
    [
        ("inbound_sms.form", {"MessageSid": ""}),
        ("inbound_sms.form", {"MessageSid": "SM123"}),
        ("inbound_sms.form", {"AccountSid": "AC" + "Z" * 32}),
        ("inbound_sms.form", {"From": "  "}),
        ("inbound_sms.form", {"NumMedia": "two"}),
        ("inbound_sms.form", {"NumMedia": "11"}),
        ("inbound_sms.form", {"NumMedia": "1"}),  # no MediaUrl0
        ("inbound_sms.form", {"OptOutType": "MAYBE"}),
        ("inbound_sms.form", {"MessagingServiceSid": "MG1"}),
        ("inbound_voice.form", {"CallStatus": "exploded"}),
        ("inbound_voice.form", {"CallSid": "SM" + "1f" * 16}),
        ("message_status_delivered.form", {"MessageStatus": "teleported"}),
        ("message_status_delivered.form", {"ErrorCode": "-1"}),
        ("call_status_completed.form", {"CallDuration": "4.2"}),
    ],
)
def test_forms_twilio_never_sends_are_refused(fixture: str, changes: dict[str, str]) -> None:
    bad = {**form(fixture), **changes}
    parse = {"inbound_sms.form": parse_sms, "inbound_voice.form": parse_voice}.get(
        fixture, parse_status
    )
    with pytest.raises(MalformedTwilioRequest) as info:
        parse(bad)
    assert isinstance(info.value, BadWebhook) and info.value.http_status == 400


def test_a_status_callback_needs_a_status() -> None:
    with pytest.raises(MalformedTwilioRequest):
        parse_status({"MessageSid": "SM" + "1f" * 16})


def test_decode_form_refuses_what_it_cannot_check() -> None:
    assert decode_form(b"") == {}
    assert decode_form(b"Body=a%20b&To=%2B1") == {"Body": "a b", "To": "+1"}
    for body in (b"\xff\xfe=1", b"Body=a&Body=b", b"novalue"):
        with pytest.raises(MalformedTwilioRequest):
            decode_form(body)


def test_verify_the_signature() -> None:
    fields = form("inbound_sms.form")
    signature = sign(TOKEN, URL, fields)
    assert verify(TOKEN, URL, fields, signature)
    assert verify(TOKEN, URL.replace(".example/", ".example:443/"), fields, signature)
    assert not verify(TOKEN, URL, {**fields, "Body": "forged"}, signature)
    assert not verify(TOKEN, URL, {**fields, "Extra": ""}, signature)
    assert not verify(TOKEN, URL.replace("ten_1", "ten_2"), fields, signature)
    assert not verify(TOKEN.replace("1", "9"), URL, fields, signature)
    assert not verify(TOKEN, URL, fields, None) and not verify(TOKEN, URL, fields, "")
    assert not verify("", URL, fields, signature)
    # Twilio's documented example: a known request, a known token, its published signature.
    documented = {
        "CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
        "From": "+14158675309", "To": "+18005551212",
    }  # fmt: skip
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert verify("12345", url, documented, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_message_statuses_only_move_forward() -> None:
    path = ["queued", "sending", "sent", "delivered", "read"]
    for older, newer in itertools.combinations([MessageStatus(s) for s in path], 2):
        assert may_replace(older, newer) and not may_replace(newer, older)
    assert not may_replace(MessageStatus.DELIVERED, MessageStatus.DELIVERED)  # a duplicate
    assert not may_replace(MessageStatus.DELIVERED, MessageStatus.UNDELIVERED)
    assert may_replace(MessageStatus.SENT, MessageStatus.FAILED)
    assert not may_replace(MessageStatus.FAILED, MessageStatus.READ)  # final stays final
    assert may_replace(MessageStatus.ACCEPTED, MessageStatus.QUEUED)
    assert is_final(MessageStatus.UNDELIVERED) and not is_final(MessageStatus.DELIVERED)
    assert rank(MessageStatus.SENT) < rank(MessageStatus.DELIVERED) < rank(MessageStatus.READ)


def test_call_statuses_only_move_forward() -> None:
    path = [CallStatus(s) for s in ("queued", "initiated", "ringing", "in-progress", "completed")]
    for older, newer in itertools.combinations(path, 2):
        assert may_replace(older, newer) and not may_replace(newer, older)
    assert not may_replace(CallStatus.BUSY, CallStatus.COMPLETED)
    with pytest.raises(TypeError):
        may_replace(CallStatus.COMPLETED, MessageStatus.DELIVERED)  # type: ignore[type-var]


@given(st.permutations(["queued", "sending", "sent", "delivered"]))
def test_any_arrival_order_ends_on_the_newest(order: list[str]) -> None:
    stored = MessageStatus(order[0])
    for status in order[1:]:
        if may_replace(stored, MessageStatus(status)):
            stored = MessageStatus(status)
    assert stored is MessageStatus.DELIVERED
