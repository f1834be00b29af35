"""Every query of the recovery domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.errors import NotFound
from steward.recovery.models import (
    CaseState,
    CaseTransition,
    CompanyBreaker,
    MemberPayment,
    RecoveryAction,
    RecoveryCase,
    RecoverySettings,
    Reminder,
    ReminderState,
)


# -- settings -------------------------------------------------------------------------------------
def settings(session: Session, company_id: str) -> RecoverySettings | None:
    return session.get(RecoverySettings, company_id)


def settings_by_whop(session: Session, whop_company_id: str) -> RecoverySettings | None:
    return session.execute(
        sa.select(RecoverySettings).where(RecoverySettings.whop_company_id == whop_company_id)
    ).scalar_one_or_none()


# -- cases ----------------------------------------------------------------------------------------
def open_case(session: Session, open_key: str) -> RecoveryCase | None:
    return session.execute(
        sa.select(RecoveryCase).where(RecoveryCase.open_key == open_key).with_for_update()
    ).scalar_one_or_none()


def latest_case(session: Session, provider: str, membership_id: str) -> RecoveryCase | None:
    """The newest case of a membership still able to recover (open or cancelled)."""
    return session.execute(
        sa.select(RecoveryCase)
        .where(
            RecoveryCase.provider == provider,
            RecoveryCase.membership_id == membership_id,
            RecoveryCase.state.in_((CaseState.OPEN, CaseState.CANCELLED)),
        )
        .order_by(RecoveryCase.opened_at.desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()


def get_case(session: Session, case_id: str, company_id: str | None = None) -> RecoveryCase:
    """A case, or NotFound, also when it belongs to another company than ``company_id``."""
    case = session.get(RecoveryCase, case_id)
    if case is None or (company_id is not None and case.company_id != company_id):
        raise NotFound(f"no recovery case {case_id}", case_id=case_id)
    return case


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def move(
    session: Session, case_id: str, allowed: Sequence[CaseState], target: CaseState, **values: Any
) -> bool:
    """The guarded transition: True when a row in one of ``allowed`` moved to ``target``."""
    result = session.execute(
        sa.update(RecoveryCase)
        .where(RecoveryCase.id == case_id, RecoveryCase.state.in_(tuple(allowed)))
        .values(state=target, **values)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def transitions(session: Session, case_id: str) -> list[CaseTransition]:
    return list(
        session.execute(
            sa.select(CaseTransition)
            .where(CaseTransition.case_id == case_id)
            .order_by(CaseTransition.id)
        ).scalars()
    )


def search(
    session: Session,
    *,
    company_id: str | None,
    state: CaseState | None,
    membership_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[RecoveryCase], int]:
    where = []
    if company_id is not None:
        where.append(RecoveryCase.company_id == company_id)
    if state is not None:
        where.append(RecoveryCase.state == state)
    if membership_id is not None:
        where.append(RecoveryCase.membership_id == membership_id)
    total = session.execute(
        sa.select(sa.func.count()).select_from(RecoveryCase).where(*where)
    ).scalar_one()
    rows = session.execute(
        sa.select(RecoveryCase)
        .where(*where)
        .order_by(RecoveryCase.opened_at.desc(), RecoveryCase.id)
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), int(total)


def cases_between(
    session: Session, company_id: str, start: datetime, end: datetime
) -> list[RecoveryCase]:
    return list(
        session.execute(
            sa.select(RecoveryCase).where(
                RecoveryCase.company_id == company_id,
                RecoveryCase.opened_at >= start,
                RecoveryCase.opened_at < end,
            )
        ).scalars()
    )


def count_open(session: Session, company_id: str) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(RecoveryCase)
            .where(RecoveryCase.company_id == company_id, RecoveryCase.state == CaseState.OPEN)
        ).scalar_one()
    )


# -- payments seen --------------------------------------------------------------------------------
def last_paid(session: Session, membership_key: str) -> MemberPayment | None:
    return session.get(MemberPayment, membership_key)


def note_paid(session: Session, membership_key: str, at: datetime, payment_id: str | None) -> None:
    row = session.get(MemberPayment, membership_key, with_for_update=True)
    if row is None:
        session.add(MemberPayment(membership_key=membership_key, paid_at=at, payment_id=payment_id))
    elif at >= row.paid_at:
        row.paid_at, row.payment_id = at, payment_id
    session.flush()


# -- reminders ------------------------------------------------------------------------------------
def reminders(session: Session, case_id: str) -> list[Reminder]:
    return list(
        session.execute(
            sa.select(Reminder).where(Reminder.case_id == case_id).order_by(Reminder.seq)
        ).scalars()
    )


def skip_pending(session: Session, case_id: str) -> None:
    session.execute(
        sa.update(Reminder)
        .where(
            Reminder.case_id == case_id,
            Reminder.state.in_((ReminderState.PENDING, ReminderState.CLAIMED)),
        )
        .values(state=ReminderState.SKIPPED)
    )


def due_companies(session: Session, now: datetime, stale_before: datetime) -> list[str]:
    """Companies with a reminder due: read through the (state, due_at) index, O(due)."""
    return list(
        session.execute(
            sa.select(Reminder.company_id)
            .where(_due(now, stale_before))
            .group_by(Reminder.company_id)
            .order_by(sa.func.min(Reminder.due_at))
        ).scalars()
    )


def _due(now: datetime, stale_before: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(Reminder.state == ReminderState.PENDING, Reminder.due_at <= now),
        sa.and_(Reminder.state == ReminderState.CLAIMED, Reminder.claimed_at < stale_before),
    )


def claim_next(
    session: Session,
    company_id: str,
    now: datetime,
    stale_before: datetime,
    dialect: str,
    exclude: Sequence[int] = (),
) -> int | None:
    """Take one due reminder of ``company_id`` for this worker (not one of ``exclude``, those
    this tick already tried); None when none is left.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` so several workers never wait on one another; SQLite
    (one writer at a time): the guarded UPDATE alone decides who took it."""
    query = (
        sa.select(Reminder.id, Reminder.state)
        .where(
            Reminder.company_id == company_id,
            _due(now, stale_before),
            Reminder.id.not_in(tuple(exclude)),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(1)
    )
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = session.execute(query).first()
    if row is None:
        return None
    taken = session.execute(
        sa.update(Reminder)
        .where(Reminder.id == row.id, Reminder.state == row.state, _due(now, stale_before))
        .values(state=ReminderState.CLAIMED, claimed_at=now, tries=Reminder.tries + 1)
    )
    return int(row.id) if taken.rowcount else None  # type: ignore[attr-defined]


def finish_reminder(
    session: Session, reminder_id: int, target: ReminderState, **values: Any
) -> bool:
    result = session.execute(
        sa.update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.state == ReminderState.CLAIMED)
        .values(state=target, **values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- actions --------------------------------------------------------------------------------------
def actions(
    session: Session,
    *,
    company_id: str | None,
    case_id: str | None = None,
    membership_id: str | None = None,
    limit: int = 200,
) -> list[RecoveryAction]:
    where = []
    if company_id is not None:
        where.append(RecoveryAction.company_id == company_id)
    if case_id is not None:
        where.append(RecoveryAction.case_id == case_id)
    if membership_id is not None:
        where.append(RecoveryAction.membership_id == membership_id)
    return list(
        session.execute(
            sa.select(RecoveryAction).where(*where).order_by(RecoveryAction.id).limit(limit)
        ).scalars()
    )


def has_action(session: Session, idempotency_key: str) -> bool:
    return (
        session.execute(
            sa.select(RecoveryAction.id).where(RecoveryAction.idempotency_key == idempotency_key)
        ).first()
        is not None
    )


# -- breakers -------------------------------------------------------------------------------------
def breaker(session: Session, company_id: str) -> CompanyBreaker:
    row = session.get(CompanyBreaker, company_id, with_for_update=True)
    if row is None:
        row = CompanyBreaker(company_id=company_id, failures=0, opened_at=None)
        session.add(row)
        session.flush()
    return row


def give_ups(session: Session, now: datetime) -> list[str]:
    """Open cases past their give-up time with no reminder still to send."""
    waiting = sa.select(Reminder.id).where(
        Reminder.case_id == RecoveryCase.id,
        Reminder.state.in_((ReminderState.PENDING, ReminderState.CLAIMED)),
    )
    return list(
        session.execute(
            sa.select(RecoveryCase.id).where(
                RecoveryCase.state == CaseState.OPEN,
                RecoveryCase.give_up_at <= now,
                ~waiting.exists(),
            )
        ).scalars()
    )


def companies(session: Session) -> list[str]:
    """Every company with a case or settings, in id order."""
    with_cases = sa.select(RecoveryCase.company_id).distinct()
    with_settings = sa.select(RecoverySettings.company_id)
    return sorted(
        set(session.execute(with_cases).scalars()) | set(session.execute(with_settings).scalars())
    )
