"""The REST resources' rules: what Twilio checks before it accepts a message or a call, and how
lists are filtered. Each function runs under the store's lock and raises SandboxError with
Twilio's code for what Twilio refuses."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from steward.providers.twilio.sandbox import handsets
from steward.providers.twilio.sandbox.state import E164, JSON, bad, valid_url

if TYPE_CHECKING:
    from steward.providers.twilio.sandbox import TwilioSandbox

Params = dict[str, list[str]]
MAX_BODY = 1600


def one(params: Params, name: str) -> str:
    values = params.get(name) or [""]
    return values[0].strip()


def flat(params: Params) -> dict[str, str]:
    return {k: v[0] for k, v in params.items() if v}


def create_message(sandbox: TwilioSandbox, params: Params) -> JSON:
    store = sandbox.store
    to, from_, body = one(params, "To"), one(params, "From"), params.get("Body", [""])[0]
    service, callback = one(params, "MessagingServiceSid"), one(params, "StatusCallback")
    if not to:
        raise bad(21604, "A 'To' phone number is required.")
    if not from_ and not service:
        raise bad(21603, "A 'From' phone number is required.")
    if not body.strip():
        raise bad(21602, "Message body is required.")
    if len(body) > MAX_BODY:
        raise bad(21617, "The concatenated message body exceeds the 1600 character limit.")
    if not E164.fullmatch(to):
        raise bad(21211, f"Invalid 'To' Phone Number: {to}")
    if service and service not in store.services:
        raise bad(21705, f"The Messaging Service Sid {service} is invalid.")
    if from_ and store.owned(from_) is None:
        raise bad(
            21606,
            f"The From phone number {from_} is not a valid, SMS-capable inbound phone number "
            "or short code for your account.",
        )
    sender = from_ or next(iter(store.services.get(service, [])), "")
    if not sender:
        raise bad(21704, "The Messaging Service contains no phone numbers")
    if sender == to:
        raise bad(21211, f"Invalid 'To' Phone Number: {to} (a number cannot text itself)")
    if callback and not valid_url(callback):
        raise bad(21609, f"The StatusCallback URL {callback} is not a valid URL.")
    if (store.scope(sender), to) in store.opt_outs:
        raise bad(21610, "Attempt to send to unsubscribed recipient")
    message = store.new_message(
        to=to, from_=sender, body=body, direction="outbound-api", status="queued",
        service=service or None,
    )  # fmt: skip
    answer = dict(message)
    if service and not from_:  # Twilio picks the sender later and says so
        answer.update(status="accepted", **{"from": None})
    handsets.outbound(sandbox, message, callback)
    return answer


def _when(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise bad(20001, f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def messages(sandbox: TwilioSandbox, params: Params) -> list[JSON]:
    rows = list(reversed(sandbox.store.messages.values()))
    for name, field in (("To", "to"), ("From", "from")):
        if value := one(params, name):
            rows = [m for m in rows if m[field] == value]
    after, before, day = one(params, "DateSent>"), one(params, "DateSent<"), one(params, "DateSent")
    if after or before or day:
        rows = [m for m in rows if m["date_sent"]]
        sent = {m["sid"]: email.utils.parsedate_to_datetime(m["date_sent"]) for m in rows}
        if after:
            rows = [m for m in rows if sent[m["sid"]] >= _when(after, "DateSent>")]
        if before:
            rows = [m for m in rows if sent[m["sid"]] <= _when(before, "DateSent<")]
        if day:
            rows = [m for m in rows if sent[m["sid"]].date() == _when(day, "DateSent").date()]
    return rows


def create_call(sandbox: TwilioSandbox, params: Params) -> JSON:
    store = sandbox.store
    to, from_ = one(params, "To"), one(params, "From")
    url, twiml, callback = one(params, "Url"), one(params, "Twiml"), one(params, "StatusCallback")
    if not to:
        raise bad(21201, "No 'To' number is specified")
    if not from_:
        raise bad(21213, "No 'From' number is specified")
    if not E164.fullmatch(to):
        raise bad(21211, f"Invalid 'To' Phone Number: {to}")
    number = store.owned(from_)
    if number is None:
        raise bad(21210, f"The source phone number provided, {from_}, is not yet verified.")
    if not url and not twiml:
        raise bad(21205, "Url or Twiml is required")
    if (url and not valid_url(url)) or (callback and not valid_url(callback)):
        raise bad(21205, "Url and StatusCallback must be http or https URLs")
    events = frozenset(e.strip() for e in params.get("StatusCallbackEvent", []) if e.strip())
    ending, duration = store.answers.get(to, ("completed", 5))
    call = store.new_call(to=to, from_=from_, direction="outbound-api", number_sid=number["sid"])
    answer = dict(call)
    if url and ending == "completed":
        form = {**handsets.call_form(call), "CallStatus": "in-progress"}
        sandbox.deliverer.enqueue("voice", url, form, call["sid"], "in-progress")
    handsets.progress(sandbox, call, ending, duration, callback, events or frozenset({"completed"}))
    return answer


def calls(sandbox: TwilioSandbox, params: Params) -> list[JSON]:
    rows = list(reversed(sandbox.store.calls.values()))
    for name, field in (("To", "to"), ("From", "from"), ("Status", "status")):
        if value := one(params, name):
            rows = [c for c in rows if c[field] == value]
    return rows


def numbers(sandbox: TwilioSandbox, params: Params) -> list[JSON]:
    rows = list(reversed(sandbox.store.numbers.values()))
    if value := one(params, "PhoneNumber"):
        rows = [n for n in rows if value in n["phone_number"]]
    if value := one(params, "FriendlyName"):
        rows = [n for n in rows if n["friendly_name"] == value]
    return rows
