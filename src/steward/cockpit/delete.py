"""The safe hard delete of a tenant (JobRun's ``DELETE /api/admin/clients/:id``).

Refused, naming every failed check, unless the product's checks pass and the confirmation equals
the tenant's business name, and the tenant holds no provisioned resource (a pool number goes
back through provisioning's deprovision run, which needs the tenant to exist). Otherwise, in ONE
transaction: publish ``tenant.delete_requested`` (for any domain's clean-up), delete every row
of the tenant's in each table with a ``tenant_id`` column, keep the provider's record of inbound
events with their tenant reference cleared, and write the audit entry. ``dry_run`` reports what
would be deleted and which checks fail, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.alerts.service import AlertLog
from steward.audit import service as audit
from steward.errors import Conflict
from steward.runtime import Runtime
from steward.tenants import repository as tenants_repo
from steward.tenants.models import PaymentStatus, Tenant

DELETE_REQUESTED = "tenant.delete_requested"
# Append-only logs keep their rows (they are the record of what happened).
KEPT = {"domain_events", "audit_log"}
# The provider's record stays; its reference to the deleted tenant is cleared.
CLEARED = {"inbound_events"}
# What provisioning gave a tenant (steward.provisioning, steward.pools): must be given back (the
# deprovision run releases a pool number to its pool) before a delete. Never deleted here.
HELD = ("provisioned_resources", "pool_items")


@dataclass(frozen=True)
class DeleteContext:
    tenant: Tenant
    muted: bool
    session: Session


@dataclass(frozen=True)
class DeleteCheck:
    key: str
    message: str  # shown when the check fails
    passes: Callable[[DeleteContext], bool]


PAYMENT_INACTIVE = DeleteCheck(
    "payment_inactive",
    "the tenant's payment is active; cancel the subscription first",
    lambda c: c.tenant.payment_status is not PaymentStatus.ACTIVE,
)
ALERTS_MUTED = DeleteCheck(
    "alerts_muted",
    "the tenant's alerts are not muted; mute them first",
    lambda c: c.muted,
)
DEFAULT_CHECKS = (PAYMENT_INACTIVE,)


@dataclass
class DeletePlan:
    tenant_id: str
    name: str
    failed: list[dict[str, str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    cleared: dict[str, int] = field(default_factory=dict)  # table -> tenant refs cleared
    deleted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class DeleteRefused(Conflict):
    """The tenant cannot be deleted: a safety check failed."""

    code = "delete_refused"


def delete_tenant(
    runtime: Runtime, tenant_id: str, *, confirm: str, actor: str, dry_run: bool = False
) -> DeletePlan:
    if dry_run:
        with runtime.db.read() as session:
            return _plan(runtime, session, tenant_id, confirm, for_update=False)[0]
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        plan, tenant, tables = _plan(runtime, session, tenant_id, confirm, for_update=True)
        if plan.failed:
            raise DeleteRefused(
                f"tenant {tenant_id} was not deleted: "
                + "; ".join(f"{f['check']}: {f['message']}" for f in plan.failed),
                failed=plan.failed,
            )
        runtime.bus.publish(
            session,
            DELETE_REQUESTED,
            tenant_id=tenant_id,
            data={"name": tenant.name, "phone": tenant.phone, "actor": actor},
        )
        for table in tables:
            t = sa.table(table, sa.column("tenant_id"))
            if table in CLEARED:
                session.execute(
                    sa.update(t).where(t.c.tenant_id == tenant_id).values(tenant_id=None)
                )
            else:
                session.execute(sa.delete(t).where(t.c.tenant_id == tenant_id))
        session.execute(sa.delete(Tenant).where(Tenant.id == tenant_id))
        audit.record(
            session,
            now,
            actor=actor,
            action="tenant.delete",
            target=f"tenant:{tenant_id}",
            before={"name": tenant.name, "email": tenant.email, "rows": plan.rows},
            after={"deleted": True, "cleared": plan.cleared},
        )
        plan.deleted = True
    return plan


def _plan(
    runtime: Runtime, session: Session, tenant_id: str, confirm: str, *, for_update: bool
) -> tuple[DeletePlan, Tenant, list[str]]:
    tenant = tenants_repo.get(session, tenant_id, for_update=for_update)
    ctx = DeleteContext(tenant, runtime.service(AlertLog).is_muted(session, tenant_id), session)
    plan = DeletePlan(tenant_id, tenant.name)
    for check in runtime.product.delete_checks or DEFAULT_CHECKS:
        if not check.passes(ctx):
            plan.failed.append({"check": check.key, "message": check.message})
    held = _held_resources(session, tenant_id)
    if held:
        plan.failed.append(
            {
                "check": "deprovisioned",
                "message": f"the tenant still holds {held} provisioned resource(s) (e.g. a pool "
                "number); deprovision first, then delete",
            }
        )
    if confirm.strip() != tenant.name.strip():
        plan.failed.append(
            {"check": "confirmation", "message": "confirm must equal the business name exactly"}
        )
    tables = _tenant_tables(session)
    for table in tables:
        count = _count(session, table, tenant_id)
        if count and table in CLEARED:
            plan.cleared[table] = count
        elif count:
            plan.rows[table] = count
    plan.rows["tenants"] = 1
    return plan, tenant, tables


def _tenant_tables(session: Session) -> list[str]:
    """Every table with a tenant_id column but the kept logs, children before parents."""
    inspector = sa.inspect(session.connection())
    names = []
    ordered = [n for n, _ in inspector.get_sorted_table_and_fkc_names() if n]
    for name in reversed(ordered):
        if name in KEPT or name in HELD or name == "tenants":
            continue
        if any(c["name"] == "tenant_id" for c in inspector.get_columns(name)):
            names.append(name)
    return names


def _held_resources(session: Session, tenant_id: str) -> int:
    """Resources a provisioning run gave the tenant and no deprovisioning has taken back."""
    present = set(sa.inspect(session.connection()).get_table_names())
    return sum(_count(session, table, tenant_id) for table in HELD if table in present)


def _count(session: Session, table: str, tenant_id: str) -> int:
    t = sa.table(table, sa.column("tenant_id"))
    return int(
        session.execute(
            sa.select(sa.func.count()).select_from(t).where(t.c.tenant_id == tenant_id)
        ).scalar_one()
    )
