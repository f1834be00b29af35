"""Write and read the audit log. ``record`` joins the caller's transaction, so an action and its
audit entry commit together or not at all."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from steward.audit import repository as repo
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
    return repo.add(session, entry)


def search(
    session: Session,
    *,
    target: str | None = None,
    actor: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Entries newest first, filtered by target and actor; and how many match in all."""
    return repo.search(session, target=target, actor=actor, limit=limit, offset=offset)
