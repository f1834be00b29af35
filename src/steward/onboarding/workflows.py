"""A tenant activated by any path (a paid checkout, an operator's manual activation) tells its
onboarding it is paid; the signal is a fact set once, so a second delivery changes nothing."""

from __future__ import annotations

from dbos import DBOS

from steward.events.models import DomainEvent
from steward.onboarding.service import Onboarding
from steward.runtime import current

PAID = "paid"


@DBOS.workflow(name="steward.onboarding.on_activated")
def on_activated(domain_event_id: int) -> None:
    signal_paid(domain_event_id)


@DBOS.step(name="steward.onboarding.signal_paid")
def signal_paid(domain_event_id: int) -> bool:
    runtime = current()
    with runtime.db.transaction() as session:
        event = session.get(DomainEvent, domain_event_id)
        if event is None or event.tenant_id is None:
            return False
        return runtime.service(Onboarding).signal(
            session, event.tenant_id, PAID, f"domain_event:{event.id}", f"domain_event:{event.id}"
        )
