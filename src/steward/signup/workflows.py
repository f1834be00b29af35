"""Durable reactions of the signup: a verified email puts a waiting free signup live."""

from __future__ import annotations

from dbos import DBOS

from steward.customers.service import EMAIL_VERIFIED
from steward.errors import ConfigError
from steward.events import repository as events_repo
from steward.module import Subscribe
from steward.runtime import current
from steward.signup import flow, service
from steward.signup.spec import SignupSpec


@DBOS.workflow(name="steward.signup.on_email_verified")
def on_email_verified(domain_event_id: int) -> None:
    go_live_if_ready(domain_event_id)


@DBOS.step(name="steward.signup.go_live_if_ready")
def go_live_if_ready(domain_event_id: int) -> None:
    runtime = current()
    try:
        spec = runtime.service(SignupSpec)
    except ConfigError:  # a product without public signup: nothing waits for a verification
        return
    with runtime.db.transaction() as session:
        event = events_repo.get(session, domain_event_id)
        flow.verified(session, runtime, event.tenant_id or "", f"domain_event:{event.id}")
        service.on_verified(session, runtime, spec, event.tenant_id or "")


SUBSCRIBERS = (Subscribe(EMAIL_VERIFIED, on_email_verified),)
