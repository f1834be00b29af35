"""Syston's onboarding, declared once as a flow (steward.flows) and driven on the web channel by
the signup wizard's endpoints: each wizard step is a state whose answer the flow validates, then
the owner's verified email and the payment are signals, and the last state is live. A state
takes the answer of the wizard step of its name (``answer="brand"``: the brand step's form).

BASIC → BRAND → PLAN → VERIFY (email_verified) → PAY (paid) → LIVE
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from steward.flows import PAID, Accepted, Flow, Reask, State, Validator, answered, signalled

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
PLANS = ("starter", "pro")


def _json_answer(check: Callable[[dict[str, Any]], str | None]) -> Validator:
    """A web step answers with its form as JSON; ``check`` names what is wrong, or None."""

    def accept(raw: str) -> Accepted | Reask:
        try:
            value = json.loads(raw)
        except ValueError:
            return Reask("The form could not be read; please send it again.")
        if not isinstance(value, dict):
            return Reask("The form could not be read; please send it again.")
        problem = check(value)
        if problem:
            return Reask(problem)
        return Accepted(json.dumps(value, sort_keys=True, separators=(",", ":")))

    return accept


def _basic(v: dict[str, Any]) -> str | None:
    if not str(v.get("name") or "").strip():
        return "Please give your club's name."
    if "@" not in str(v.get("email") or ""):
        return "Please give an email address like name@example.com."
    return None


def _brand(v: dict[str, Any]) -> str | None:
    for key in ("primary_color", "secondary_color"):
        if not HEX.match(str(v.get(key) or "")):
            return f"{key}: a colour like #1c5fd1, please."
    return None


def _plan(v: dict[str, Any]) -> str | None:
    plan = v.get("plan")
    if plan not in PLANS:
        return f"Choose one of: {', '.join(PLANS)}."
    inputs = v.get("inputs") or {}
    if plan == "starter" and not inputs.get("make_webhook_url"):
        return "The starter plan needs your Make.com webhook URL."
    if plan == "pro" and inputs.get("confirm") is not True:
        return "Please confirm the pro plan."
    return None


EMAIL_VERIFIED = "email_verified"

FLOW = Flow(
    name="syston-signup",
    states=(
        State(
            "BASIC", asks="Your club and your email.", answer="start", accept=_json_answer(_basic)
        ),
        State(
            "BRAND",
            asks="Your colours.",
            answer="brand",
            accept=_json_answer(_brand),
            requires=(answered("start"),),
            max_dwell=timedelta(hours=1),
        ),
        State(
            "PLAN",
            asks="Choose a plan.",
            answer="plan",
            accept=_json_answer(_plan),
            requires=(answered("start", "brand"),),
            max_dwell=timedelta(hours=1),
        ),
        State(
            "VERIFY",
            asks="Open the link we emailed you.",
            waits_for=EMAIL_VERIFIED,
            requires=(answered("start", "brand", "plan"),),
            max_dwell=timedelta(days=1),
        ),
        State(
            "PAY",
            asks="Pay to go live.",
            waits_for="paid",
            requires=(signalled(EMAIL_VERIFIED, "the owner's email is not verified"),),
            max_dwell=timedelta(days=2),
        ),
        State("LIVE", asks="Your site is live.", final=True, requires=(PAID,)),
    ),
)
