"""The send workflow: one per ``message.send_requested`` domain event (its id is the workflow's
business key), one retried step that texts at most once (``sending``)."""

from __future__ import annotations

import json

from dbos import DBOS

from steward.events import repository as events_repo
from steward.messaging import sending
from steward.runtime import current

WORKFLOW = "steward.messaging.send"


@DBOS.workflow(name=WORKFLOW)
def send_workflow(domain_event_id: int) -> str:
    message_id = message_id_step(domain_event_id)
    try:
        return send_step(message_id)
    except Exception as exc:  # Twilio kept failing past the step's retries
        return give_up_step(message_id, f"{type(exc).__name__}: {exc}")


@DBOS.step(name="steward.messaging.message_id")
def message_id_step(domain_event_id: int) -> str:
    with current().db.read() as session:
        return str(json.loads(events_repo.get(session, domain_event_id).data)["message_id"])


@DBOS.step(
    name="steward.messaging.send_sms",
    retries_allowed=True,
    max_attempts=5,
    interval_seconds=1.0,
    backoff_rate=2.0,
)
def send_step(message_id: str) -> str:
    """Retried while Twilio is unavailable; each re-run resolves the claim before sending."""
    return sending.send(current(), message_id)


@DBOS.step(name="steward.messaging.give_up")
def give_up_step(message_id: str, error: str) -> str:
    """Not stuck in silence: the message stays as it is (possibly in doubt) and the operator is
    told through ``message.send_failed``."""
    return sending.give_up(current(), message_id, error)
