"""Admin API over the audit log (read only: Steward never changes an entry)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from steward.api.deps import Actor, RuntimeDep
from steward.audit import service as audit

admin = APIRouter(prefix="/admin/api/audit", tags=["admin: audit log"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any]
    after: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    shown: int
    limit: int
    offset: int


@admin.get("", response_model=AuditPage)
def list_audit(
    runtime: RuntimeDep,
    _actor: Actor,
    target: str | None = None,
    actor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    with runtime.db.read() as session:
        rows, total = audit.search(session, target=target, actor=actor, limit=limit, offset=offset)
        items = [
            AuditOut(
                id=r.id,
                at=r.at,
                actor=r.actor,
                action=r.action,
                target=r.target,
                before=json.loads(r.before),
                after=json.loads(r.after),
            )
            for r in rows
        ]
    return AuditPage(items=items, total=total, shown=len(items), limit=limit, offset=offset)
