"""What a tenant's delete removes from provisioning: its runs and their steps. A tenant still
holding a provisioned resource or a pool number is refused: the deprovision run gives those back
(a pool number returns to its pool), and it needs the tenant to exist."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.db import rowcount
from steward.module import TenantRows
from steward.pools.models import PoolItem
from steward.provisioning.models import Resource, Run, StepRecord
from steward.tenants.deletion import TenantHeld


def held(session: Session, tenant_id: str) -> int:
    """Resources a provisioning run gave the tenant and no deprovisioning has taken back."""
    resources = session.execute(
        sa.select(sa.func.count()).select_from(Resource).where(Resource.tenant_id == tenant_id)
    ).scalar_one()
    numbers = session.execute(
        sa.select(sa.func.count()).select_from(PoolItem).where(PoolItem.tenant_id == tenant_id)
    ).scalar_one()
    return int(resources) + int(numbers)


def delete_tenant(session: Session, tenant_id: str) -> TenantRows:
    count = held(session, tenant_id)
    if count:
        raise TenantHeld(
            "deprovisioned",
            f"the tenant still holds {count} provisioned resource(s) (e.g. a pool number); "
            "deprovision first, then delete",
        )
    runs = sa.select(Run.id).where(Run.tenant_id == tenant_id)
    steps = session.execute(sa.delete(StepRecord).where(StepRecord.run_id.in_(runs)))
    deleted = session.execute(sa.delete(Run).where(Run.tenant_id == tenant_id))
    return TenantRows(
        deleted={"provisioning_steps": rowcount(steps), "provisioning_runs": rowcount(deleted)}
    )
