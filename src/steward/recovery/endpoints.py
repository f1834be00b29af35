"""Recovery over HTTP: Whop's webhook, the company's dashboard API (scoped to the caller's
company: another company's case is a 404), and the operators' admin API."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from steward import metrics
from steward.api.deps import Actor, RuntimeDep
from steward.errors import BadWebhook, Conflict
from steward.inbox.schemas import WebhookAck
from steward.inbox.service import Inbox, parse_event
from steward.providers import whop
from steward.recovery import actions, company, service
from steward.recovery import repository as repo
from steward.recovery.auth import CurrentCompany
from steward.recovery.models import CaseState, RecoveryCase
from steward.recovery.schemas import (
    CASE_ID,
    ActionOut,
    CaseDetail,
    CaseOut,
    CasePage,
    CompanyLink,
    Kpis,
    NudgeIn,
    ReminderOut,
    SettingsIn,
    SettingsOut,
    TransitionOut,
)
from steward.runtime import Runtime

webhooks = APIRouter(tags=["webhooks"])
api = APIRouter(prefix="/api/v1/recovery", tags=["company: recovery"])
admin = APIRouter(prefix="/admin/api/recovery", tags=["admin: recovery"])
CaseId = Annotated[str, Query(pattern=CASE_ID)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
IdempotencyKey = Annotated[str | None, Header(max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]


@webhooks.post("/webhooks/whop", response_model=WebhookAck)
async def whop_webhook(request: Request, runtime: RuntimeDep) -> WebhookAck:
    """Verify (Standard Webhooks), store once, answer; types no handler reads are stored too."""
    body = await request.body()
    try:
        whop.verify(runtime.settings.whop_webhook_secrets, dict(request.headers), body)
        payload = parse_event(body)
    except BadWebhook as exc:
        metrics.EVENTS_REJECTED.labels(source="whop", code=exc.code).inc()
        raise
    result = await run_in_threadpool(runtime.service(Inbox).ingest, "whop", body, payload)
    return WebhookAck(received=True, duplicate=result.duplicate)


# -- the company's API ----------------------------------------------------------------------------
def _period(
    runtime: Runtime, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    end = end or runtime.clock.now() + timedelta(seconds=1)
    return start or end - timedelta(days=30), end


@api.get("/kpis", response_model=Kpis)
@api.get("/dashboard/kpis", response_model=Kpis)
def kpis(
    runtime: RuntimeDep,
    caller: CurrentCompany,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Kpis:
    """Recovery rate, recovered revenue, median time to recover and open cases (default: the
    last 30 days)."""
    start, end = _period(runtime, start, end)
    with runtime.db.read() as session:
        return company.kpis(session, caller, start, end)


@api.get("/dashboard/cases", response_model=CasePage)
def list_cases(
    runtime: RuntimeDep,
    caller: CurrentCompany,
    state: CaseState | None = None,
    membership_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CasePage:
    return _page(runtime, caller, state, membership_id, limit, offset)


@api.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(runtime: RuntimeDep, caller: CurrentCompany, case_id: str) -> CaseDetail:
    return _detail(runtime, case_id, caller)


@api.post("/cases/{case_id}/nudge", response_model=CaseDetail)
def nudge(
    runtime: RuntimeDep,
    caller: CurrentCompany,
    case_id: str,
    body: NudgeIn,
    idempotency_key: IdempotencyKey = None,
) -> CaseDetail:
    """Send one reminder now; its audit row commits with it, or neither happens."""
    key = f"recovery:manual:{case_id}:{body.channel}:{idempotency_key or uuid.uuid4().hex}"
    with runtime.db.transaction() as session:
        case = _open_case(session, case_id, caller)
        if repo.has_action(session, key):
            return _detail(runtime, case_id, caller)
        p = service.policy(repo.settings(session, caller), case.provider)
        actions.nudge(
            runtime,
            session,
            case,
            body.channel,
            p,
            key=key,
            manual=True,
            actor=f"company:{caller}",
            attempt=case.attempts + 1,
        )
        case.last_nudge_at = runtime.clock.now()
    return _detail(runtime, case_id, caller)


@api.post("/cases/{case_id}/cancel", response_model=CaseDetail)
@api.post("/cases/{case_id}/cancel-membership", response_model=CaseDetail)
def cancel(runtime: RuntimeDep, caller: CurrentCompany, case_id: str) -> CaseDetail:
    """Stop recovery and cancel the membership at the end of its period."""
    return _end(runtime, caller, case_id, CaseState.CANCELLED, "cancel")


@api.post("/cases/{case_id}/terminate", response_model=CaseDetail)
def terminate(runtime: RuntimeDep, caller: CurrentCompany, case_id: str) -> CaseDetail:
    """Stop recovery and revoke the member's access now."""
    return _end(runtime, caller, case_id, CaseState.TERMINATED, "terminate")


@api.get("/actions", response_model=list[ActionOut])
def list_actions(
    runtime: RuntimeDep,
    caller: CurrentCompany,
    case_id: CaseId | None = None,
    membership_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ActionOut]:
    with runtime.db.read() as session:
        rows = repo.actions(
            session, company_id=caller, case_id=case_id, membership_id=membership_id
        )
        return [ActionOut.model_validate(r) for r in rows]


@api.get("/settings", response_model=SettingsOut)
def get_settings(runtime: RuntimeDep, caller: CurrentCompany) -> SettingsOut:
    with runtime.db.read() as session:
        return company.read_settings(session, caller)


@api.put("/settings", response_model=SettingsOut)
def put_settings(runtime: RuntimeDep, caller: CurrentCompany, body: SettingsIn) -> SettingsOut:
    """Applies to cases opened from now on."""
    with runtime.db.transaction() as session:
        company.save_settings(session, caller, body, runtime.clock.now())
    with runtime.db.read() as session:
        return company.read_settings(session, caller)


# -- operators ------------------------------------------------------------------------------------
@admin.put("/companies/{company_id}/whop", response_model=SettingsOut)
def link_whop(
    runtime: RuntimeDep,
    _actor: Actor,
    company_id: str,
    body: CompanyLink,
) -> SettingsOut:
    """Tie the Whop company that installed the app to its Steward tenant."""
    with runtime.db.transaction() as session:
        company.link_whop(session, company_id, body.whop_company_id, runtime.clock.now())
    with runtime.db.read() as session:
        return company.read_settings(session, company_id)


@admin.put("/companies/{company_id}/settings", response_model=SettingsOut)
def admin_settings(
    runtime: RuntimeDep, _actor: Actor, company_id: str, body: SettingsIn
) -> SettingsOut:
    """Set a company's settings as an operator (the product's own, ``_product``, included)."""
    with runtime.db.transaction() as session:
        company.save_settings(session, company_id, body, runtime.clock.now())
    with runtime.db.read() as session:
        return company.read_settings(session, company_id)


@admin.get("/cases", response_model=CasePage)
def admin_cases(
    runtime: RuntimeDep,
    _actor: Actor,
    company_id: str | None = None,
    state: CaseState | None = None,
    membership_id: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CasePage:
    return _page(runtime, company_id, state, membership_id, limit, offset)


@admin.get("/cases/{case_id}", response_model=CaseDetail)
def admin_case(runtime: RuntimeDep, _actor: Actor, case_id: str) -> CaseDetail:
    return _detail(runtime, case_id, None)


# -- shared ---------------------------------------------------------------------------------------
def _page(
    runtime: Runtime,
    company_id: str | None,
    state: CaseState | None,
    membership_id: str | None,
    limit: int,
    offset: int,
) -> CasePage:
    with runtime.db.read() as session:
        rows, total = repo.search(
            session,
            company_id=company_id,
            state=state,
            membership_id=membership_id,
            limit=limit,
            offset=offset,
        )
        items = [CaseOut.model_validate(r) for r in rows]
    return CasePage(items=items, total=total, limit=limit, offset=offset)


def _detail(runtime: Runtime, case_id: str, company_id: str | None) -> CaseDetail:
    with runtime.db.read() as session:
        case = repo.get_case(session, case_id, company_id)
        return CaseDetail(
            **CaseOut.model_validate(case).model_dump(),
            transitions=[
                TransitionOut.model_validate(t) for t in repo.transitions(session, case_id)
            ],
            reminders=[ReminderOut.model_validate(r) for r in repo.reminders(session, case_id)],
            actions=[
                ActionOut.model_validate(a)
                for a in repo.actions(session, company_id=None, case_id=case_id)
            ],
        )


def _open_case(session: Session, case_id: str, company_id: str) -> RecoveryCase:
    case = repo.get_case(session, case_id, company_id)
    if case.state is not CaseState.OPEN:
        raise Conflict(f"case {case_id} is {case.state.value}, not open", state=case.state.value)
    return case


def _end(runtime: Runtime, caller: str, case_id: str, target: CaseState, kind: str) -> CaseDetail:
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        case = repo.get_case(session, case_id, caller)
        service.transition(session, case, target, f"manual:company:{caller}", now, closed_at=now)
        actions.end_membership(runtime, session, case, kind, manual=True, actor=f"company:{caller}")
    return _detail(runtime, case_id, caller)
