"""Durable work of the subscriptions domain: scheduled upkeep and the trial-ending notice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from dbos import DBOS

from steward.events import repository as events_repo
from steward.module import Schedule
from steward.providers.email import EmailMessage
from steward.runtime import current
from steward.subscriptions import service, sync
from steward.tenants import repository as tenants_repo


@DBOS.workflow(name="steward.subscriptions.catch_up")
def catch_up(scheduled_at: datetime, _context: Any) -> None:
    catch_up_step()


@DBOS.step(name="steward.subscriptions.catch_up_step", retries_allowed=True, max_attempts=3)
def catch_up_step() -> int:
    return sync.catch_up(current()).ingested


@DBOS.workflow(name="steward.subscriptions.enforce_grace")
def enforce_grace(scheduled_at: datetime, _context: Any) -> None:
    enforce_grace_step()


@DBOS.step(name="steward.subscriptions.enforce_grace_step")
def enforce_grace_step() -> int:
    return service.enforce_grace(current())


@DBOS.workflow(name="steward.subscriptions.drift")
def drift(scheduled_at: datetime, _context: Any) -> None:
    drift_step()


@DBOS.step(name="steward.subscriptions.drift_step")
def drift_step() -> int:
    return service.reconcile_drift(current())


@DBOS.workflow(name="steward.subscriptions.trial_notice")
def trial_notice(domain_event_id: int) -> None:
    send_trial_notice(domain_event_id)


@DBOS.step(
    name="steward.subscriptions.send_trial_notice",
    retries_allowed=True,
    max_attempts=5,
    interval_seconds=2.0,
    backoff_rate=2.0,
)
def send_trial_notice(domain_event_id: int) -> str:
    runtime = current()
    with runtime.db.read() as session:
        event = events_repo.get(session, domain_event_id)
        tenant = tenants_repo.get(session, event.tenant_id or "")
        trial_end = json.loads(event.data).get("trial_end")
        to, name, plan = tenant.email, tenant.name, tenant.plan
    ends = datetime.fromtimestamp(trial_end, UTC).strftime("%d %B %Y") if trial_end else "soon"
    message = EmailMessage(
        to=to,
        subject=f"Your {runtime.product.name} trial ends on {ends}",
        text=(
            f"Hello {name},\n\nYour free trial of {runtime.product.name} ({plan}) ends on "
            f"{ends}. Your card will be charged then unless you cancel before.\n"
        ),
    )
    # The key makes a re-run step send the same Message-ID, which receivers collapse.
    message_id: str = runtime.mailer.send(
        message, idempotency_key=f"trial-notice-{domain_event_id}"
    )
    return message_id


SCHEDULES = (
    Schedule("steward.subscriptions.catch_up", catch_up, lambda s: s.stripe_sync_cron),
    Schedule("steward.subscriptions.enforce_grace", enforce_grace, lambda s: s.grace_cron),
    Schedule("steward.subscriptions.drift", drift, lambda s: s.drift_cron),
)
