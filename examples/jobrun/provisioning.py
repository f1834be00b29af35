"""JobRun's phone numbers (seed 000): each client gets a number from the ``numbers`` pool when
activated, and gives it back when deprovisioned (before a hard delete); the number assigned moves
the client's onboarding on to the call-forwarding instructions (S7).

Seed the pool from a file or the CLI (``steward pool add numbers --file
examples/jobrun/numbers.txt --low-watermark 5``); below the watermark ``pool.low`` is raised for
the alerts, and an empty pool makes a new client's run wait (up to a day) until numbers are added,
instead of launching with none, as JobRun did.
"""

from __future__ import annotations

from typing import Any

from steward import runtime
from steward.onboarding.service import Onboarding
from steward.provisioning import kinds
from steward.steps import Step, StepContext

POOL = "numbers"
ASSIGN_NUMBER = kinds.allocate(POOL, "assign_number", wait_timeout_seconds=24 * 3600)


def tell_onboarding(ctx: StepContext) -> dict[str, Any]:
    """Idempotent: the signal is a fact set once; a conversation already past S6 stays put."""
    number = str((ctx.outputs.get(ASSIGN_NUMBER.name) or {}).get("value") or "")
    if not number:
        return {"told": False, "reason": "no number was assigned"}
    with ctx.runtime.db.transaction() as session:
        told = (
            runtime.current()
            .service(Onboarding)
            .signal(session, ctx.tenant.id, "number", number, f"provisioning:{ctx.run_key}")
        )
    return {"told": told, "number": number}


NUMBER_TO_ONBOARDING = Step(
    "number_to_onboarding",
    tell_onboarding,
    describe="record the assigned number on the client's onboarding and text the forwarding steps",
)
STEPS = (ASSIGN_NUMBER, NUMBER_TO_ONBOARDING)
