"""The phones on the other side: what happens after a send, and when a handset texts or calls.

An outbound message is answered ``queued`` and then goes queued → sent → delivered (undelivered
with 30003 for a handset marked unreachable), each step a status callback to its StatusCallback.
A handset's text becomes an inbound message posted to the number's SmsUrl; Twilio's default
opt-out keywords are honoured (STOP, START, HELP and their synonyms, with Twilio's auto-replies),
and TwiML ``<Message>`` replies in the webhook's answer are sent back to the handset. A handset's
call is posted to the VoiceUrl (``CallStatus=ringing``) and then reported ringing, in-progress,
completed to the number's StatusCallback. (Twilio reports only ``completed`` there unless more
events are asked for; the sandbox sends all three so that ordering is exercised.)"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import TYPE_CHECKING

from steward.providers.twilio.inbound import OptOut, keyword
from steward.providers.twilio.sandbox.numbers import country_of
from steward.providers.twilio.sandbox.state import E164, JSON, SandboxError, rfc2822

if TYPE_CHECKING:
    from steward.providers.twilio.sandbox import TwilioSandbox

UNREACHABLE = 30003
AUTO_REPLIES = {
    OptOut.STOP: "You have successfully been unsubscribed. You will not receive any more "
    "messages from this number. Reply START to resubscribe.",
    OptOut.START: "You have successfully been re-subscribed to messages from this number. "
    "Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    OptOut.HELP: "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}
CALL_ENDINGS = ("completed", "busy", "no-answer", "failed", "canceled")


def _place(prefix: str, number: str) -> dict[str, str]:
    country = country_of(number) or ""
    return {
        f"{prefix}City": "", f"{prefix}State": "", f"{prefix}Zip": "",
        f"{prefix}Country": country,
    }  # fmt: skip


def message_form(message: JSON) -> dict[str, str]:
    """The fields Twilio posts about a message (inbound webhook and status callbacks alike)."""
    form = {
        "AccountSid": message["account_sid"], "ApiVersion": "2010-04-01",
        "From": message["from"] or "", "MessageSid": message["sid"],
        "SmsMessageSid": message["sid"], "SmsSid": message["sid"], "To": message["to"],
    }  # fmt: skip
    if message["messaging_service_sid"]:
        form["MessagingServiceSid"] = message["messaging_service_sid"]
    return form


def outbound(sandbox: TwilioSandbox, message: JSON, status_callback: str) -> None:
    """Carry an accepted outbound message to its end, one status callback per step."""
    store = sandbox.store
    failed = message["to"] in store.unreachable
    steps = ["queued", "sent", "undelivered" if failed else "delivered"]
    for step in steps:
        changes: JSON = {}
        if step == "sent":
            changes["date_sent"] = rfc2822(store.now())
        if step == "undelivered":
            changes.update(error_code=UNREACHABLE, error_message="Unreachable destination handset")
        store.set_status(message, step, **changes)
        form = {**message_form(message), "MessageStatus": step, "SmsStatus": step}
        if step == "undelivered":
            form["ErrorCode"] = str(UNREACHABLE)
        sandbox.deliverer.enqueue("message-status", status_callback, form, message["sid"], step)


def _reply(sandbox: TwilioSandbox, number: str, handset: str, body: str, callback: str) -> JSON:
    store = sandbox.store
    reply = store.new_message(
        to=handset, from_=number, body=body, direction="outbound-reply", status="queued"
    )
    outbound(sandbox, reply, callback)
    return reply


def text_in(sandbox: TwilioSandbox, handset: str, to: str, body: str) -> JSON:
    """``handset`` texts ``to`` (a number of the account). Returns the inbound message."""
    store = sandbox.store
    if not E164.fullmatch(handset):
        raise SandboxError(400, 21211, f"Invalid 'From' handset number: {handset}")
    with store.lock:
        number = store.owned(to)
        if number is None:
            raise SandboxError(404, 20404, f"{to} is not a number of this account")
        service = store.scope(to) if store.scope(to) != to else None
        message = store.new_message(
            to=to, from_=handset, body=body, direction="inbound", status="received",
            service=service,
        )  # fmt: skip
        message["date_sent"] = message["date_created"]
        word = keyword(body)
        if word is OptOut.STOP:
            store.opt_outs.add((store.scope(to), handset))
        elif word is OptOut.START:
            store.opt_outs.discard((store.scope(to), handset))
        form = {
            **message_form(message), **_place("From", handset), **_place("To", to),
            "Body": body, "NumMedia": "0", "NumSegments": message["num_segments"],
            "SmsStatus": "received",
        }  # fmt: skip
        if word is not None:
            _reply(sandbox, to, handset, AUTO_REPLIES[word], "")

        def answered(code: int, text: str) -> None:
            with store.lock:
                for reply_body, callback in twiml_messages(text):
                    _reply(sandbox, to, handset, reply_body, callback)

        sandbox.deliverer.enqueue(
            "sms", number["sms_url"] or "", form, message["sid"], "received", answered
        )
        return copy.deepcopy(message)


def twiml_messages(text: str) -> list[tuple[str, str]]:
    """The ``<Message>`` verbs of a TwiML answer: (body, status callback URL). Not TwiML: none."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    if root.tag != "Response":
        return []
    found = []
    for verb in root.iter("Message"):
        body = verb.findtext("Body") if verb.find("Body") is not None else verb.text
        if body and body.strip():
            found.append((body.strip(), verb.get("statusCallback") or verb.get("action") or ""))
    return found


def call_form(call: JSON) -> dict[str, str]:
    return {
        "AccountSid": call["account_sid"], "ApiVersion": "2010-04-01", "CallSid": call["sid"],
        "CallStatus": call["status"], "Called": call["to"], "Caller": call["from"],
        "Direction": call["direction"], "From": call["from"], "To": call["to"],
        **_place("From", call["from"]), **_place("To", call["to"]),
        **_place("Caller", call["from"]), **_place("Called", call["to"]),
    }  # fmt: skip


def progress(
    sandbox: TwilioSandbox, call: JSON, ending: str, duration: int, callback: str,
    events: frozenset[str] | None = None,
) -> None:  # fmt: skip
    """Ring, maybe answer, end; a status callback per step (``events``: only those Twilio was
    asked for, as ``StatusCallbackEvent`` names them; None: every step)."""
    store = sandbox.store
    steps = ["ringing", "in-progress", ending] if ending == "completed" else ["ringing", ending]
    start = store.now()
    for seq, step in enumerate(steps):
        changes: JSON = {}
        if step == "in-progress":
            changes["start_time"] = rfc2822(start)
        if step == ending:
            length = duration if ending == "completed" else 0
            changes.update(
                duration=str(length), end_time=rfc2822(start + timedelta(seconds=length))
            )
        store.set_status(call, step, **changes)
        name = "answered" if step == "in-progress" else step
        # Twilio's "completed" event stands for every way a call can end.
        if (
            events is not None
            and name not in events
            and not (step == ending and "completed" in events)
        ):
            continue
        form = {**call_form(call), "CallbackSource": "call-progress-events",
                "SequenceNumber": str(seq), "Timestamp": rfc2822(store.now())}  # fmt: skip
        if step == ending:
            form.update(
                CallDuration=str(call["duration"]), Duration=str(-(-int(call["duration"]) // 60))
            )
        sandbox.deliverer.enqueue("call-status", callback, form, call["sid"], step)


def call_in(sandbox: TwilioSandbox, handset: str, to: str, ending: str, duration: int) -> JSON:
    """``handset`` calls ``to``. The call ends as ``ending`` after ``duration`` seconds."""
    store = sandbox.store
    if ending not in CALL_ENDINGS:
        raise SandboxError(400, 20001, f"ending must be one of {', '.join(CALL_ENDINGS)}")
    with store.lock:
        number = store.owned(to)
        if number is None:
            raise SandboxError(404, 20404, f"{to} is not a number of this account")
        call = store.new_call(to=to, from_=handset, direction="inbound", number_sid=number["sid"])
        store.set_status(call, "ringing")
        sandbox.deliverer.enqueue(
            "voice", number["voice_url"] or "", call_form(call), call["sid"], "ringing"
        )
        progress(sandbox, call, ending, duration, number["status_callback"] or "")
        return copy.deepcopy(call)
