"""SMS messaging over Twilio: the webhooks, the send workflow, STOP/START/HELP, delivery status."""

from __future__ import annotations

from steward.messaging import endpoints, handlers, webhooks, workflows
from steward.messaging.ledger import MessageLedger
from steward.messaging.service import SEND_REQUESTED
from steward.module import Module, Subscribe
from steward.runtime import Runtime


def _setup(runtime: Runtime) -> None:
    # The gateway is built with the runtime; its send ledger is this domain's message table.
    runtime.twilio.ledger = MessageLedger(runtime.db, runtime.clock)


MODULE = Module(
    name="messaging",
    routers=(webhooks.router, endpoints.admin),
    handlers=handlers.ON,
    subscribers=(Subscribe(SEND_REQUESTED, workflows.send_workflow),),
    tables=("messages", "message_transitions", "sms_opt_outs"),
    setup=_setup,
)
