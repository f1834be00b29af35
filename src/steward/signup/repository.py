"""Queries on signups and their idempotent answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.errors import IllegalTransition, NotFound
from steward.signup.models import TRANSITIONS, IdempotentAnswer, Signup, SignupState


def add(session: Session, signup: Signup) -> Signup:
    session.add(signup)
    session.flush()
    return signup


def get(session: Session, tenant_id: str, *, for_update: bool = False) -> Signup:
    stmt = sa.select(Signup).where(Signup.tenant_id == tenant_id)
    if for_update:
        stmt = stmt.with_for_update()
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no signup for tenant {tenant_id}")
    return found


def find(session: Session, tenant_id: str) -> Signup | None:
    return session.get(Signup, tenant_id)


def taken_slugs(session: Session, product: str, candidates: list[str]) -> set[str]:
    rows = session.execute(
        sa.select(Signup.slug).where(Signup.product == product, Signup.slug.in_(candidates))
    ).scalars()
    return set(rows)


def owns_email(session: Session, product: str, email_key: str) -> bool:
    found = session.execute(
        sa.select(Signup.tenant_id)
        .where(Signup.product == product, Signup.email_key == email_key)
        .limit(1)
    ).first()
    return found is not None


def move(session: Session, tenant_id: str, to: SignupState, at: datetime, **values: Any) -> None:
    """The one guarded transition: only from a state the table allows."""
    allowed = [s for s, targets in TRANSITIONS.items() if to in targets]
    result = session.execute(
        sa.update(Signup)
        .where(Signup.tenant_id == tenant_id, Signup.state.in_(allowed))
        .values(state=to, updated_at=at, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise IllegalTransition(f"signup {tenant_id} cannot move to {to.value}")


def answer(session: Session, scope: str) -> IdempotentAnswer | None:
    return session.get(IdempotentAnswer, scope)


def keep_answer(session: Session, row: IdempotentAnswer) -> None:
    session.add(row)
    session.flush()
