"""JobRun's onboarding by SMS (its OnboardingService, S1…S9): a missed call to JobRun's number
starts it; four questions; the payment gate at S5_CONFIRM_LIVE texts a payment link (7-day trial);
the paid checkout moves on to S6, where provisioning assigns a pool number; S7 texts the call
forwarding instructions; S9 waits for a test call to that number from the client's phone; only
then is the client live (the SystemGate: ``Onboarding.live``)."""

from __future__ import annotations

import os
from datetime import timedelta

from steward.flows import (
    PAID,
    Accepted,
    Flow,
    Reask,
    State,
    answered,
    choice,
    email,
    signalled,
    text,
)
from steward.onboarding.payment import payment_link

JOBRUN_NUMBER = os.environ.get("JOBRUN_NUMBER", "+447700900000")  # the number clients miss-call

TRADES = {
    t: t for t in ("plumber", "electrician", "builder", "roofer", "locksmith", "gas engineer",
                   "carpenter", "painter", "landscaper", "cleaner", "other")
} | {"plumbing": "plumber", "electrical": "electrician", "sparky": "electrician",
     "heating": "gas engineer", "gas": "gas engineer", "joiner": "carpenter",
     "decorator": "painter", "gardener": "landscaper"}  # fmt: skip
DONE = {w: "done" for w in ("done", "yes", "ok", "okay", "y", "set", "forwarded")}
DEFAULT_REPLY = (
    "Sorry we missed your call! We're on a job right now and will call you back shortly."
)
DETAILS = answered("business_name", "trade", "area", "email")
NUMBER = signalled("number", "no JobRun number is assigned yet")
TEST_CALL = signalled("test_call", "no test call to the JobRun number has been seen yet")


def reply_text(raw: str) -> Accepted | Reask:
    value = " ".join(raw.split())
    return text(10, 300, "message")(DEFAULT_REPLY if value.lower() == "default" else value)


FLOW = Flow(
    name="jobrun",
    entry=(JOBRUN_NUMBER,),
    tenant_fields={"business_name": "name", "email": "email"},
    states=(
        State(
            "S1_BUSINESS_NAME",
            "Hi, it's JobRun - never lose a job to a missed call again. "
            "What's your business called?",
            answer="business_name", accept=text(2, 100, "business name"),
            max_dwell=timedelta(hours=2),
        ),
        State(
            "S2_TRADE", "Thanks! What's your trade? (e.g. plumber, electrician, builder)",
            answer="trade", accept=choice(TRADES, "trade"), max_dwell=timedelta(hours=2),
        ),
        State(
            "S3_AREA", "Which area do you cover? (a town or a postcode)",
            answer="area", accept=text(2, 60, "area"), max_dwell=timedelta(hours=2),
        ),
        State(
            "S4_EMAIL", "And what email should we send your receipts to?",
            answer="email", accept=email, max_dwell=timedelta(hours=2),
        ),
        State(
            "S5_CONFIRM_LIVE",
            "{business_name} ({trade}, {area}): {offer} (then £49/month) here: {payment_link}",
            waits_for="paid", requires=(DETAILS,), on_enter=payment_link("standard"),
            waiting="Your link is {payment_link} - we'll text you the moment payment goes through.",
        ),  # its dwell is the payment-gate alert's (alerts.py)
        State(
            "S6_ASSIGN_NUMBER",
            "Payment received - your 7-day trial has started. Setting up your JobRun number...",
            waits_for="number", requires=(DETAILS, PAID), max_dwell=timedelta(hours=1),
            waiting="Your JobRun number is on its way; we'll text you in a moment.",
        ),
        State(
            "S7_FORWARDING",
            "Your JobRun number is {number}. Forward unanswered calls to it: from your mobile "
            "dial **61*{number}# and press call. Reply DONE when it's set.",
            answer="forwarding", accept=choice(DONE, "reply"), requires=(PAID, NUMBER),
            max_dwell=timedelta(hours=24),
        ),
        State(
            "S8_REPLY_TEXT",
            f"What should JobRun text callers you miss? Reply DEFAULT for: \"{DEFAULT_REPLY}\"",
            answer="reply_text", accept=reply_text, max_dwell=timedelta(hours=24),
        ),
        State(
            "S9_TEST_CALL",
            "Last step: call {number} from this phone now, let it ring out and hang up.",
            waits_for="test_call", requires=(PAID, NUMBER), max_dwell=timedelta(hours=24),
            waiting="Still waiting for your test call to {number} from this phone.",
        ),
        State(
            "LIVE",
            "Test call received - JobRun is live for {business_name}! Missed calls now get a text.",
            final=True, requires=(DETAILS, PAID, NUMBER, TEST_CALL),
        ),
    ),
)  # fmt: skip
