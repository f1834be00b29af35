"""Queries over operators and their sessions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.operators.models import Operator, OperatorSession


def by_email(session: Session, email: str) -> Operator | None:
    return session.execute(sa.select(Operator).where(Operator.email == email)).scalar_one_or_none()


def add(session: Session, operator: Operator) -> None:
    session.add(operator)


def set_password_hash(session: Session, operator_id: str, password_hash: str) -> None:
    session.execute(
        sa.update(Operator).where(Operator.id == operator_id).values(password_hash=password_hash)
    )


def open_session(session: Session, login: OperatorSession, now: datetime) -> None:
    """Add ``login``; sessions that expired are deleted on the way."""
    session.execute(sa.delete(OperatorSession).where(OperatorSession.expires_at < now))
    session.add(login)


def live_session(session: Session, token_hash: str, now: datetime) -> tuple[str, str] | None:
    """(operator email, csrf token) of an unexpired session."""
    row = session.execute(
        sa.select(Operator.email, OperatorSession.csrf)
        .join(Operator, Operator.id == OperatorSession.operator_id)
        .where(OperatorSession.token_hash == token_hash, OperatorSession.expires_at > now)
    ).first()
    return (row[0], row[1]) if row else None


def close_session(session: Session, token_hash: str) -> None:
    session.execute(sa.delete(OperatorSession).where(OperatorSession.token_hash == token_hash))
