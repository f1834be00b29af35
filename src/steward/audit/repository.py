"""Queries on the audit log: append an entry, page through entries newest first."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.audit.models import AuditEntry


def add(session: Session, entry: AuditEntry) -> AuditEntry:
    session.add(entry)
    session.flush()
    return entry


def search(
    session: Session, *, target: str | None, actor: str | None, limit: int, offset: int
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
    return list(rows), int(total)
