"""Admin API of the cockpit's actions: the safe hard delete, and the audited event replay."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from steward.api.deps import Actor, RuntimeDep
from steward.tenants.deletion import TenantDeletion

admin = APIRouter(prefix="/admin/api", tags=["admin: operator actions"])


class DeleteIn(BaseModel):
    confirm: str = ""


class DeleteOut(BaseModel):
    tenant_id: str
    name: str
    deleted: bool
    dry_run: bool
    failed: list[dict[str, str]]
    rows: dict[str, int]
    cleared: dict[str, int]


@admin.delete(
    "/tenants/{tenant_id}",
    response_model=DeleteOut,
    responses={409: {"description": "Refused: details.failed names every failed check"}},
)
def delete(
    tenant_id: str,
    runtime: RuntimeDep,
    actor: Actor,
    body: DeleteIn | None = None,
    confirm: str | None = None,
    dry_run: bool = False,
) -> DeleteOut:
    """Hard-delete a tenant once its safety checks pass; ``confirm`` (body or query) must equal
    the business name. ``dry_run=true`` reports what would be deleted and the failing checks."""
    text = confirm if confirm is not None else (body.confirm if body else "")
    with runtime.db.transaction() as session:
        plan = runtime.service(TenantDeletion).delete(
            session, tenant_id, confirm=text, actor=actor, dry_run=dry_run
        )
    data: dict[str, Any] = plan.as_dict()
    return DeleteOut(**data, dry_run=dry_run)
