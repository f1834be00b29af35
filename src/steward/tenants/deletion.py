"""The safe hard delete of a tenant (JobRun's ``DELETE /api/admin/clients/:id``).

Refused, naming every failed check, unless the product's checks pass, the confirmation equals
the tenant's business name, and no module holds something it must give back first (a pool number
goes back through provisioning's deprovision run, which needs the tenant to exist). Otherwise, in
the caller's ONE transaction: publish ``tenant.delete_requested`` (for any domain's clean-up), ask
each module, children first (the reverse of the module order), to delete or clear what the tenant
owns in its tables (``Module.delete_tenant``), and write the audit entry. The append-only logs
(domain events, audit) keep their rows. A dry run does the same inside a savepoint it rolls back,
so it reports exactly what would go, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from steward.audit import service as audit
from steward.errors import Conflict
from steward.events.bus import DomainEventBus
from steward.kit.clock import Clock
from steward.module import TenantRows
from steward.tenants import repository as repo
from steward.tenants.models import PaymentStatus, Tenant

DELETE_REQUESTED = "tenant.delete_requested"

DeleteHook = Callable[[Session, str], TenantRows]


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


class TenantHeld(Conflict):
    """The tenant still holds something a module must give back before a delete."""

    code = "tenant_held"

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message, check=check)
        self.check = check


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


@dataclass(frozen=True)
class TenantDeletion:
    """The delete service: the modules' hooks (children first), the product's checks, and how to
    tell whether a tenant's alerts are muted (the alerts domain knows; this one does not)."""

    hooks: Sequence[tuple[str, DeleteHook]]
    checks: Sequence[DeleteCheck]
    muted: Callable[[Session, str], bool]
    bus: DomainEventBus
    clock: Clock

    def delete(
        self,
        session: Session,
        tenant_id: str,
        *,
        confirm: str,
        actor: str,
        dry_run: bool = False,
    ) -> DeletePlan:
        """Delete the tenant in ``session``'s transaction, or raise ``DeleteRefused`` naming every
        failed check; with ``dry_run``, report and change nothing."""
        tenant = repo.get(session, tenant_id, for_update=not dry_run)
        before = {"name": tenant.name, "email": tenant.email, "phone": tenant.phone}
        plan = DeletePlan(tenant_id, tenant.name)
        ctx = DeleteContext(tenant, self.muted(session, tenant_id), session)
        for check in self.checks:
            if not check.passes(ctx):
                plan.failed.append({"check": check.key, "message": check.message})
        if confirm.strip() != tenant.name.strip():
            plan.failed.append(
                {"check": "confirmation", "message": "confirm must equal the business name exactly"}
            )
        savepoint = session.begin_nested()
        try:
            for _name, hook in self.hooks:
                try:
                    done = hook(session, tenant_id)
                except TenantHeld as held:  # raised before the hook changed anything
                    plan.failed.append({"check": held.check, "message": held.message})
                    continue
                _add(plan.rows, done.deleted)
                _add(plan.cleared, done.cleared)
        except BaseException:
            savepoint.rollback()
            raise
        if dry_run or plan.failed:
            savepoint.rollback()
            session.expire_all()  # the rolled-back deletes must not linger in the identity map
        else:
            savepoint.commit()
        if dry_run:
            return plan
        if plan.failed:
            raise DeleteRefused(
                f"tenant {tenant_id} was not deleted: "
                + "; ".join(f"{f['check']}: {f['message']}" for f in plan.failed),
                failed=plan.failed,
            )
        self.bus.publish(
            session,
            DELETE_REQUESTED,
            tenant_id=tenant_id,
            data={"name": before["name"], "phone": before["phone"], "actor": actor},
        )
        audit.record(
            session,
            self.clock.now(),
            actor=actor,
            action="tenant.delete",
            target=f"tenant:{tenant_id}",
            before={"name": before["name"], "email": before["email"], "rows": plan.rows},
            after={"deleted": True, "cleared": plan.cleared},
        )
        plan.deleted = True
        return plan


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for table, n in counts.items():
        if n:
            into[table] = into.get(table, 0) + n
