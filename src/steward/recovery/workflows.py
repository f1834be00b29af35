"""The reminder tick: every minute (a DBOS scheduled workflow, one run per scheduled minute
across every process), claim the due reminders company by company and send each once.

O(due): only reminders whose time has come are read, through the (state, due_at) index. Each is
claimed by a guarded UPDATE (with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two workers
never take one reminder; a claim left by a crashed worker is retaken after
``STEWARD_RECOVERY_CLAIM_STALE_SECONDS`` and re-sent with the same idempotency keys. Per company
the work of one tick is time-boxed, and a company whose provider keeps failing is skipped
(its breaker opens) until its cool-down passes, then tried with one reminder (half-open)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from dbos import DBOS
from sqlalchemy.orm import Session

from steward.errors import ProviderError
from steward.module import Schedule
from steward.recovery import actions, monitoring, service
from steward.recovery import repository as repo
from steward.recovery.models import CaseState, CompanyBreaker, Reminder, ReminderState
from steward.runtime import Runtime, current

log = structlog.get_logger("steward.recovery")
MAX_TRIES = 3  # sends of one reminder before it is left failed
BREAKER_OPENED = "recovery.breaker_opened"


@dataclass
class TickReport:
    paused: bool = False
    sent: int = 0
    failed: int = 0
    skipped_companies: list[str] = field(default_factory=list)
    closed: int = 0


def tick(runtime: Runtime) -> TickReport:
    """One pass: send what is due, then give up on cases past their last attempt."""
    report = TickReport()
    if not runtime.flags.enabled("dunning"):
        report.paused = True
        return report
    started = time.perf_counter()
    try:
        now = runtime.clock.now()
        stale = now - timedelta(seconds=runtime.settings.recovery_claim_stale_seconds)
        with runtime.db.read() as session:
            companies = repo.due_companies(session, now, stale)
        for company in companies:
            _company(runtime, company, now, stale, report)
        report.closed = _give_up(runtime, now)
    except Exception:
        monitoring.TICKS.labels(outcome="failed").inc()
        raise
    finally:
        monitoring.TICK_SECONDS.observe(time.perf_counter() - started)
    monitoring.TICKS.labels(outcome="ok").inc()
    return report


def _company(
    runtime: Runtime, company: str, now: datetime, stale: datetime, report: TickReport
) -> None:
    settings = runtime.settings
    cooldown = timedelta(seconds=settings.recovery_breaker_cooldown_seconds)
    with runtime.db.read() as session:
        row = session.get(CompanyBreaker, company)
        opened_at = row.opened_at if row is not None else None
    if opened_at is not None and now < opened_at + cooldown:
        report.skipped_companies.append(company)
        return
    half_open = opened_at is not None
    deadline = time.monotonic() + settings.recovery_company_budget_seconds
    tried: list[int] = []
    while not tried or time.monotonic() < deadline:  # at least one send, however small the box
        with runtime.db.transaction() as session:
            reminder_id = repo.claim_next(
                session, company, now, stale, runtime.db.dialect, exclude=tried
            )
        if reminder_id is None:
            return
        tried.append(reminder_id)
        if send_reminder(runtime, reminder_id):
            report.sent += 1
        else:
            report.failed += 1
            if _breaker_failed(runtime, company):
                report.skipped_companies.append(company)
                return
        if half_open:
            return  # half-open: one reminder decides; the next tick continues if it closed


def send_reminder(runtime: Runtime, reminder_id: int) -> bool:
    """Send a claimed reminder on each of the company's channels; True when it went out (or
    was no longer needed). The reminder's state, the case's counters and the audit rows of its
    nudges commit together."""
    now = runtime.clock.now()
    try:
        with runtime.db.transaction() as session:
            reminder = session.get(Reminder, reminder_id)
            assert reminder is not None
            case = repo.get_case(session, reminder.case_id)
            if case.state is not CaseState.OPEN:
                repo.finish_reminder(session, reminder_id, ReminderState.SKIPPED)
                return True
            p = service.policy(repo.settings(session, case.company_id), case.provider)
            if reminder.seq == 1:
                actions.incentive(runtime, session, case, p, manual=False, actor="system")
            sent, unreachable = 0, []
            for channel in p.channels:
                key = f"recovery:reminder:{reminder_id}:{channel}"
                if repo.has_action(session, key):
                    sent += 1
                    continue
                try:
                    with session.begin_nested():
                        actions.nudge(
                            runtime,
                            session,
                            case,
                            channel,
                            p,
                            key=key,
                            manual=False,
                            actor="system",
                            attempt=reminder.seq,
                        )
                    sent += 1
                except actions.ChannelNotConfigured as exc:
                    unreachable.append(exc.message)
            target = ReminderState.SENT if sent else ReminderState.FAILED
            repo.finish_reminder(
                session,
                reminder_id,
                target,
                sent_at=now,
                last_error="; ".join(unreachable)[:500] or None,
            )
            if sent:
                case.attempts += 1
                case.last_nudge_at = now
            _breaker_closed(session, case.company_id)
        monitoring.REMINDERS.labels(outcome="sent" if sent else "failed").inc()
        return True
    except ProviderError as exc:
        with runtime.db.transaction() as session:
            reminder = session.get(Reminder, reminder_id)
            assert reminder is not None
            last = reminder.tries >= MAX_TRIES
            repo.finish_reminder(
                session,
                reminder_id,
                ReminderState.FAILED if last else ReminderState.PENDING,
                last_error=exc.message[:500],
                claimed_at=None,
            )
        monitoring.REMINDERS.labels(outcome="failed" if last else "retry").inc()
        log.warning("recovery.reminder_failed", reminder_id=reminder_id, error=exc.message)
        return False


def _breaker_failed(runtime: Runtime, company: str) -> bool:
    """Count a provider failure; True when the breaker is (now) open."""
    with runtime.db.transaction() as session:
        row = repo.breaker(session, company)
        row.failures += 1
        if row.failures < runtime.settings.recovery_breaker_failures:
            return False
        reopened = row.opened_at is not None
        row.opened_at = runtime.clock.now()
        if not reopened:
            monitoring.BREAKER.labels(to="opened").inc()
            runtime.bus.publish(
                session,
                BREAKER_OPENED,
                tenant_id=None,
                data={"company_id": company, "failures": row.failures},
            )
            log.error("recovery.breaker_opened", company_id=company, failures=row.failures)
        return True


def _breaker_closed(session: Session, company: str) -> None:
    row = session.get(CompanyBreaker, company, with_for_update=True)
    if row is not None and (row.failures or row.opened_at is not None):
        if row.opened_at is not None:
            monitoring.BREAKER.labels(to="closed").inc()
        row.failures, row.opened_at = 0, None


def _give_up(runtime: Runtime, now: datetime) -> int:
    """Cases past their last attempt end as the company chose (cancel or terminate)."""
    with runtime.db.read() as session:
        due = repo.give_ups(session, now)
    closed = 0
    for case_id in due:
        try:
            with runtime.db.transaction() as session:
                case = repo.get_case(session, case_id)
                p = service.policy(repo.settings(session, case.company_id), case.provider)
                target = (
                    CaseState.TERMINATED if p.final_action == "terminate" else (CaseState.CANCELLED)
                )
                service.transition(
                    session, case, target, "tick: every attempt made", now, closed_at=now
                )
                kind = "terminate" if target is CaseState.TERMINATED else "cancel"
                actions.end_membership(runtime, session, case, kind, manual=False, actor="system")
            closed += 1
        except service.IllegalCaseTransition:
            continue  # another worker closed it first
        except ProviderError as exc:
            log.warning("recovery.give_up_failed", case_id=case_id, error=exc.message)
    return closed


@DBOS.workflow(name="steward.recovery.tick")
def tick_workflow(scheduled_at: datetime, _context: Any) -> None:
    tick_step()


@DBOS.step(name="steward.recovery.tick_step")
def tick_step() -> None:
    tick(current())


SCHEDULES = (Schedule("steward.recovery.tick", tick_workflow, lambda s: s.recovery_tick_cron),)
