"""Queries on messages, their transitions and opt-outs. Only this module touches the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from steward.errors import IllegalTransition, NotFound
from steward.messaging.models import Message, MessageTransition, OptOut, Status, sources_of

M = cast(sa.Table, Message.__table__)


def add(session: Session, message: Message, cause: str) -> Message:
    session.add(message)
    session.flush()
    _record(session, message.id, None, Status(message.status), cause, message.created_at)
    return message


def get(session: Session, message_id: str) -> Message:
    found = session.get(Message, message_id)
    if found is None:
        raise NotFound(f"message {message_id} does not exist")
    return found


def by_key(session: Session, key: str) -> Message | None:
    return session.execute(
        sa.select(Message).where(Message.idempotency_key == key)
    ).scalar_one_or_none()


def by_sid(session: Session, sid: str) -> Message | None:
    return session.execute(sa.select(Message).where(Message.twilio_sid == sid)).scalar_one_or_none()


def transition(
    session: Session, message_id: str, target: Status, now: datetime, cause: str, **values: Any
) -> Status:
    """Move a message to ``target``, guarded in the database by the transition table; returns
    the status it left. IllegalTransition when the message is not in a state that allows it
    (for a status callback: a late or duplicate one)."""
    allowed = [s.value for s in sources_of(target)]
    # The row lock orders concurrent callbacks for one message (SQLite serialises writers).
    current = session.execute(
        sa.select(M.c.status).where(M.c.id == message_id).with_for_update()
    ).scalar()
    if current is None:
        raise NotFound(f"message {message_id} does not exist")
    done = cast(
        CursorResult[Any],
        session.execute(
            sa.update(M)
            .where(M.c.id == message_id, M.c.status.in_(allowed))
            .values(status=target.value, updated_at=now, **values)
        ),
    ).rowcount
    if not done:
        raise IllegalTransition(
            f"message {message_id} is {current}; it cannot become {target.value}",
            message_id=message_id,
            status=current,
        )
    _record(session, message_id, Status(current), target, cause, now)
    session.expire_all()
    return Status(current)


def set_sid(session: Session, key: str, sid: str, now: datetime) -> bool:
    """Store the Twilio sid of the send under ``key`` (once)."""
    done = cast(
        CursorResult[Any],
        session.execute(
            sa.update(M)
            .where(M.c.idempotency_key == key, M.c.twilio_sid.is_(None))
            .values(twilio_sid=sid, updated_at=now)
        ),
    ).rowcount
    return bool(done)


def transitions_of(session: Session, message_id: str) -> list[MessageTransition]:
    return list(
        session.execute(
            sa.select(MessageTransition)
            .where(MessageTransition.message_id == message_id)
            .order_by(MessageTransition.id)
        ).scalars()
    )


def search(
    session: Session,
    *,
    tenant_id: str | None = None,
    phone: str | None = None,
    limit: int = 50,
) -> list[Message]:
    where = []
    if tenant_id:
        where.append(Message.tenant_id == tenant_id)
    if phone:
        where.append(sa.or_(Message.to_number == phone, Message.from_number == phone))
    return list(
        session.execute(
            sa.select(Message)
            .where(*where)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        ).scalars()
    )


def for_tenant(session: Session, tenant_id: str) -> list[Message]:
    """A tenant's conversation, oldest first."""
    return list(
        session.execute(
            sa.select(Message)
            .where(Message.tenant_id == tenant_id)
            .order_by(Message.created_at, Message.id)
        ).scalars()
    )


def delete_tenant(session: Session, tenant_id: str) -> int:
    done = cast(CursorResult[Any], session.execute(sa.delete(M).where(M.c.tenant_id == tenant_id)))
    return int(done.rowcount)


def _record(
    session: Session,
    message_id: str,
    before: Status | None,
    after: Status,
    cause: str,
    at: datetime,
) -> None:
    session.add(
        MessageTransition(
            message_id=message_id,
            from_status=before.value if before else None,
            to_status=after.value,
            cause=cause[:200],
            at=at,
        )
    )
    session.flush()


# -- opt-outs -------------------------------------------------------------------------------------
def opt_out_of(session: Session, phone: str, *, for_update: bool = False) -> OptOut | None:
    return session.get(OptOut, phone, with_for_update=for_update or None)


def is_opted_out(session: Session, phone: str) -> bool:
    row = opt_out_of(session, phone)
    return row is not None and row.opted_out


def set_opt_out(session: Session, phone: str, opted_out: bool, now: datetime, cause: str) -> bool:
    """Opt ``phone`` out (or back in); False when it already was."""
    row = opt_out_of(session, phone, for_update=True)
    if row is None:
        if not opted_out:
            return False
        session.add(OptOut(phone=phone, opted_out=True, opted_out_at=now, cause=cause[:200]))
        session.flush()
        return True
    if row.opted_out == opted_out:
        return False
    row.opted_out = opted_out
    row.cause = cause[:200]
    if opted_out:
        row.opted_out_at = now
    else:
        row.opted_in_at = now
    session.flush()
    return True
