"""Write and read the audit log. ``record`` joins the caller's transaction, so an action and its
audit entry commit together or not at all."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.audit.models import AuditEntry


def record(
    session: Session,
    at: datetime,
    *,
    actor: str,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        target=target,
        before=json.dumps(before or {}, sort_keys=True, default=str),
        after=json.dumps(after or {}, sort_keys=True, default=str),
    )
    session.add(entry)
    session.flush()
    return entry


def search(
    session: Session,
    *,
    target: str | None = None,
    actor: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    where = []
    if target:
        where.append(AuditEntry.target == target)
    if actor:
        where.append(AuditEntry.actor == actor)
    total = session.execute(
        sa.select(sa.func.count()).select_from(AuditEntry).where(*where)
    ).scalar_one()
    rows = session.execute(
        sa.select(AuditEntry)
        .where(*where)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), total
