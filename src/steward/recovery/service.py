"""Cases: opened by a failed payment, moved by the transition table, closed with their cause.

Every move goes through ``transition``: the guarded UPDATE (``WHERE state IN (allowed)``) raises
``IllegalCaseTransition`` when no row matched, and the move is recorded with its cause."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from steward.errors import IllegalTransition
from steward.kit.ids import new_id
from steward.recovery import repository as repo
from steward.recovery.models import (
    TRANSITIONS,
    CaseState,
    CaseTransition,
    MemberPayment,
    RecoveryCase,
    RecoverySettings,
    Reminder,
    ReminderState,
)

DEFAULT_OFFSETS = (1, 3, 7)


class IllegalCaseTransition(IllegalTransition):
    """The recovery case cannot move to that state from where it is."""

    code = "illegal_recovery_transition"


@dataclass(frozen=True)
class Policy:
    """A company's settings as values (the defaults when it saved none)."""

    offsets_days: tuple[int, ...]
    channels: tuple[str, ...]
    incentive_days: int
    incentive_coupon: str | None
    attempts_before_cancel: int
    final_action: str
    quiet_start_hour: int | None
    quiet_end_hour: int | None
    whop_experience_id: str | None


def policy(row: RecoverySettings | None, provider: str) -> Policy:
    if row is None:
        channels = ("email",) if provider == "stripe" else ("dm",)
        return Policy(
            DEFAULT_OFFSETS, channels, 0, None, len(DEFAULT_OFFSETS), "cancel", None, None, None
        )
    return Policy(
        offsets_days=tuple(json.loads(row.offsets_days)),
        channels=tuple(json.loads(row.channels)),
        incentive_days=row.incentive_days,
        incentive_coupon=row.incentive_coupon,
        attempts_before_cancel=row.attempts_before_cancel,
        final_action=row.final_action,
        quiet_start_hour=row.quiet_start_hour,
        quiet_end_hour=row.quiet_end_hour,
        whop_experience_id=row.whop_experience_id,
    )


def outside_quiet_hours(at: datetime, p: Policy) -> datetime:
    """``at``, or the end of the quiet hours (UTC) it falls in."""
    start, end = p.quiet_start_hour, p.quiet_end_hour
    if start is None or end is None or start == end:
        return at
    hour = at.hour
    quiet = start <= hour < end if start < end else (hour >= start or hour < end)
    if not quiet:
        return at
    moved = at.replace(hour=end, minute=0, second=0, microsecond=0)
    return moved if moved > at else moved + timedelta(days=1)


@dataclass(frozen=True)
class Failure:
    provider: str  # whop | stripe
    company_id: str
    membership_id: str
    user_id: str | None
    email: str | None
    amount: int | None
    currency: str | None
    payment_id: str | None
    message: str | None
    occurred_at: datetime
    cause: str  # event:<inbox id>
    phone: str | None = None


def key(provider: str, membership_id: str) -> str:
    return f"{provider}:{membership_id}"


def open_for_failure(
    session: Session, now: datetime, failure: Failure, p: Policy
) -> RecoveryCase | None:
    """Open a case (and its reminders) unless one is open or a newer payment already succeeded.
    Returns the case opened, or None."""
    open_key = key(failure.provider, failure.membership_id)
    if _stale(repo.last_paid(session, open_key), failure):
        return None  # a failure delivered after the success that followed it
    if repo.open_case(session, open_key) is not None:
        return None
    attempts = min(p.attempts_before_cancel, len(p.offsets_days))
    give_up = failure.occurred_at + timedelta(days=p.offsets_days[attempts - 1] + 1)
    case = RecoveryCase(
        id=new_id("rc"),
        company_id=failure.company_id,
        provider=failure.provider,
        membership_id=failure.membership_id,
        open_key=open_key,
        user_id=failure.user_id,
        email=failure.email,
        phone=failure.phone,
        state=CaseState.OPEN,
        amount_due=failure.amount,
        currency=failure.currency,
        failed_payment_id=failure.payment_id,
        failure_message=(failure.message or "")[:255] or None,
        opened_at=failure.occurred_at,
        attempts=0,
        incentive_applied=False,
        give_up_at=give_up,
        updated_at=now,
    )
    repo.add(session, case)
    for seq, days in enumerate(p.offsets_days[:attempts], start=1):
        due = outside_quiet_hours(failure.occurred_at + timedelta(days=days), p)
        session.add(
            Reminder(
                case_id=case.id,
                company_id=case.company_id,
                seq=seq,
                due_at=due,
                state=ReminderState.PENDING,
                tries=0,
            )
        )
    _record(session, case.id, None, CaseState.OPEN, failure.cause, now)
    return case


def _stale(paid: MemberPayment | None, failure: Failure) -> bool:
    """A success newer than the failure, or of the very payment that failed (a retry that
    succeeded), or at the same instant as a failure that names no payment (Whop's timestamps
    have millisecond resolution: a tie cannot be ordered, and the success is the later word)."""
    if paid is None:
        return False
    if paid.paid_at > failure.occurred_at:
        return True
    if failure.payment_id is not None and failure.payment_id == paid.payment_id:
        return True
    return paid.paid_at == failure.occurred_at and failure.payment_id is None


def transition(
    session: Session,
    case: RecoveryCase,
    target: CaseState,
    cause: str,
    now: datetime,
    **values: object,
) -> None:
    allowed = [s for s, nexts in TRANSITIONS.items() if target in nexts]
    before = case.state
    if not repo.move(session, case.id, allowed, target, updated_at=now, **values):
        raise IllegalCaseTransition(
            f"recovery case {case.id}: {before.value} → {target.value} is not allowed",
            case_id=case.id,
            state=before.value,
            requested=target.value,
        )
    if target is not CaseState.OPEN and before is CaseState.OPEN:
        repo.move(session, case.id, [target], target, open_key=None)
    repo.skip_pending(session, case.id)  # a closed or cancelled case is reminded no more
    session.refresh(case)
    _record(session, case.id, before, target, cause, now)


def recover(
    session: Session,
    provider: str,
    membership_id: str,
    amount: int | None,
    at: datetime,
    cause: str,
    now: datetime,
    payment_id: str | None = None,
) -> RecoveryCase | None:
    """A payment succeeded: the case still able to recover is recovered (amount, time)."""
    repo.note_paid(session, key(provider, membership_id), at, payment_id)
    case = repo.latest_case(session, provider, membership_id)
    if case is None or case.opened_at > at:
        return None
    transition(
        session,
        case,
        CaseState.RECOVERED,
        cause,
        now,
        recovered_amount=amount,
        recovered_at=at,
        closed_at=now,
    )
    return case


def expire(
    session: Session, provider: str, membership_id: str, cause: str, now: datetime
) -> RecoveryCase | None:
    case = repo.latest_case(session, provider, membership_id)
    if case is None:
        return None
    transition(session, case, CaseState.EXPIRED, cause, now, closed_at=now)
    return case


def _record(
    session: Session,
    case_id: str,
    before: CaseState | None,
    target: CaseState,
    cause: str,
    now: datetime,
) -> None:
    session.add(
        CaseTransition(
            case_id=case_id,
            from_state=before.value if before else None,
            to_state=target.value,
            cause=cause[:120],
            at=now,
        )
    )
    session.flush()
