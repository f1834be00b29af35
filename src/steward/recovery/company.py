"""A company's recovery settings and its KPIs over a period."""

from __future__ import annotations

import json
import statistics
from datetime import datetime

from sqlalchemy.orm import Session

from steward.errors import InvalidInput
from steward.recovery import repository as repo
from steward.recovery.models import CaseState, RecoverySettings
from steward.recovery.schemas import Kpis, SettingsIn, SettingsOut
from steward.recovery.service import policy


def read_settings(session: Session, company_id: str) -> SettingsOut:
    row = repo.settings(session, company_id)
    p = policy(row, "whop")
    return SettingsOut(
        company_id=company_id,
        whop_company_id=row.whop_company_id if row else None,
        updated_at=row.updated_at if row else None,
        offsets_days=list(p.offsets_days),
        channels=list(p.channels),
        incentive_days=p.incentive_days,
        incentive_coupon=p.incentive_coupon,
        attempts_before_cancel=p.attempts_before_cancel,
        final_action=p.final_action,
        quiet_start_hour=p.quiet_start_hour,
        quiet_end_hour=p.quiet_end_hour,
        whop_experience_id=p.whop_experience_id,
    )


def save_settings(session: Session, company_id: str, body: SettingsIn, now: datetime) -> None:
    if body.attempts_before_cancel > len(body.offsets_days):
        raise InvalidInput(
            "attempts_before_cancel: at most one attempt per reminder offset",
            field="attempts_before_cancel",
        )
    if (body.quiet_start_hour is None) != (body.quiet_end_hour is None):
        raise InvalidInput(
            "quiet_end_hour: set both quiet hours or neither", field="quiet_end_hour"
        )
    row = repo.settings(session, company_id)
    if row is None:
        row = RecoverySettings(company_id=company_id)
        session.add(row)
    row.offsets_days = json.dumps(body.offsets_days)
    row.channels = json.dumps(body.channels)
    row.incentive_days, row.incentive_coupon = body.incentive_days, body.incentive_coupon
    row.attempts_before_cancel, row.final_action = body.attempts_before_cancel, body.final_action
    row.quiet_start_hour, row.quiet_end_hour = body.quiet_start_hour, body.quiet_end_hour
    row.whop_experience_id, row.updated_at = body.whop_experience_id, now
    session.flush()


def link_whop(session: Session, company_id: str, whop_company_id: str, now: datetime) -> None:
    """Tie a Whop company to the Steward tenant that installed the app (an operator's act)."""
    other = repo.settings_by_whop(session, whop_company_id)
    if other is not None and other.company_id != company_id:
        raise InvalidInput(
            f"whop_company_id: {whop_company_id} belongs to another company",
            field="whop_company_id",
        )
    row = repo.settings(session, company_id)
    if row is None:
        p = policy(None, "whop")
        row = RecoverySettings(
            company_id=company_id,
            offsets_days=json.dumps(list(p.offsets_days)),
            channels=json.dumps(list(p.channels)),
            incentive_days=0,
            attempts_before_cancel=p.attempts_before_cancel,
            final_action=p.final_action,
        )
        session.add(row)
    row.whop_company_id, row.updated_at = whop_company_id, now
    session.flush()


def kpis(session: Session, company_id: str, start: datetime, end: datetime) -> Kpis:
    if end <= start:
        raise InvalidInput("end: the period must end after it starts", field="end")
    cases = repo.cases_between(session, company_id, start, end)
    recovered = [c for c in cases if c.state is CaseState.RECOVERED]
    durations = [
        (c.recovered_at - c.opened_at).total_seconds() for c in recovered if c.recovered_at
    ]
    return Kpis(
        company_id=company_id,
        start=start,
        end=end,
        cases=len(cases),
        recovered=len(recovered),
        recovery_rate=len(recovered) / len(cases) if cases else None,
        recovered_revenue=sum(c.recovered_amount or 0 for c in recovered),
        median_seconds_to_recover=statistics.median(durations) if durations else None,
        open_cases=repo.count_open(session, company_id),
    )
