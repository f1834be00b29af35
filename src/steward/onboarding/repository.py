"""Onboarding queries; the guarded state update lives here too."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from steward.onboarding.models import (
    Conversation,
    ConversationStatus,
    Fact,
    FactKind,
    Transition,
    Turn,
)
from steward.tenants.models import PaymentStatus, Tenant

LIMIT = 5000


def _exec(session: Session, statement: Any) -> CursorResult[Any]:
    """An UPDATE or DELETE, whose result has a row count."""
    return cast(CursorResult[Any], session.execute(statement))


def by_address(session: Session, flow: str, address: str) -> Conversation | None:
    return session.execute(
        sa.select(Conversation).where(Conversation.flow == flow, Conversation.address == address)
    ).scalar_one_or_none()


def by_tenant(session: Session, tenant_id: str, *, for_update: bool = False) -> Conversation | None:
    query = sa.select(Conversation).where(Conversation.tenant_id == tenant_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def by_signal(session: Session, name: str, value: str) -> Conversation | None:
    """The conversation holding signal ``name`` = ``value`` (e.g. the assigned number)."""
    return session.execute(
        sa.select(Conversation)
        .join(Fact, Fact.conversation_id == Conversation.id)
        .where(Fact.kind == FactKind.SIGNAL, Fact.name == name, Fact.value == value)
    ).scalar_one_or_none()


def add(session: Session, conversation: Conversation) -> Conversation:
    session.add(conversation)
    session.flush()
    return conversation


def facts(session: Session, conversation_id: int) -> list[Fact]:
    return list(
        session.execute(
            sa.select(Fact).where(Fact.conversation_id == conversation_id).order_by(Fact.id)
        ).scalars()
    )


def put_fact(
    session: Session, conversation_id: int, kind: FactKind, name: str, value: str, at: datetime
) -> None:
    row = session.execute(
        sa.select(Fact).where(
            Fact.conversation_id == conversation_id, Fact.kind == kind, Fact.name == name
        )
    ).scalar_one_or_none()
    if row is None:
        session.add(Fact(conversation_id=conversation_id, kind=kind, name=name, value=value, at=at))
    else:
        row.value, row.at = value, at
    session.flush()


def move(
    session: Session,
    conversation_id: int,
    sources: Iterable[str],
    target: str,
    at: datetime,
    *,
    live: bool,
) -> bool:
    """``UPDATE … SET state = target WHERE state IN (sources)``; False when no row matched."""
    values: dict[str, object] = {"state": target, "state_entered_at": at, "clock_at": at}
    if live:
        values |= {"status": ConversationStatus.LIVE, "live_at": at}
    done = _exec(
        session,
        sa.update(Conversation)
        .where(
            Conversation.id == conversation_id,
            Conversation.status == ConversationStatus.ONBOARDING,
            Conversation.state.in_(list(sources)),
        )
        .values(**values)
        .execution_options(synchronize_session="fetch"),
    )
    return bool(done.rowcount)


def restart_clock(session: Session, tenant_id: str, at: datetime) -> int:
    done = _exec(
        session,
        sa.update(Conversation)
        .where(
            Conversation.tenant_id == tenant_id,
            Conversation.status == ConversationStatus.ONBOARDING,
        )
        .values(clock_at=at)
        .execution_options(synchronize_session="fetch"),
    )
    return int(done.rowcount)


def record(session: Session, row: Transition | Turn) -> None:
    session.add(row)
    session.flush()


def transitions(session: Session, conversation_id: int) -> list[Transition]:
    return list(
        session.execute(
            sa.select(Transition)
            .where(Transition.conversation_id == conversation_id)
            .order_by(Transition.id)
        ).scalars()
    )


def turns(session: Session, conversation_id: int, limit: int = 200) -> list[Turn]:
    return list(
        session.execute(
            sa.select(Turn)
            .where(Turn.conversation_id == conversation_id)
            .order_by(Turn.id.desc())
            .limit(limit)
        ).scalars()
    )[::-1]


def dwelling(session: Session, now: datetime, limits: dict[str, timedelta]) -> list[Conversation]:
    """Onboarding conversations whose clock in their state is older than its limit
    (index ``ix_onboarding_status_state_clock``)."""
    if not limits:
        return []
    return list(
        session.execute(
            sa.select(Conversation)
            .where(
                Conversation.status == ConversationStatus.ONBOARDING,
                sa.or_(
                    *(
                        sa.and_(Conversation.state == s, Conversation.clock_at < now - limit)
                        for s, limit in limits.items()
                    )
                ),
            )
            .order_by(Conversation.clock_at)
            .limit(LIMIT)
        ).scalars()
    )


def delete_for_tenant(session: Session, tenant_id: str) -> int:
    ids = sa.select(Conversation.id).where(Conversation.tenant_id == tenant_id).scalar_subquery()
    gone = 0
    for table in (Turn, Transition, Fact):
        done = _exec(session, sa.delete(table).where(table.conversation_id.in_(ids)))
        gone += int(done.rowcount)
    done = _exec(session, sa.delete(Conversation).where(Conversation.tenant_id == tenant_id))
    return gone + int(done.rowcount)


def waiting_in(session: Session, state: str, before: datetime) -> list[tuple[Conversation, str]]:
    """Onboarding conversations in ``state`` since before ``before`` (its clock), with the tenant
    name, for tenants that have not paid."""
    rows = session.execute(
        sa.select(Conversation, Tenant.name)
        .join(Tenant, Tenant.id == Conversation.tenant_id)
        .where(
            Conversation.status == ConversationStatus.ONBOARDING,
            Conversation.state == state,
            Conversation.clock_at < before,
            Tenant.payment_status != PaymentStatus.ACTIVE,
        )
        .order_by(Conversation.clock_at)
        .limit(LIMIT)
    ).all()
    return [(c, name) for c, name in rows]
