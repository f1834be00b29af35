"""Tenants on fakes: sign-up normalizes and validates; the hard delete asks every module, a dry
run changes nothing, and the append-only logs keep the tenant's history."""

from __future__ import annotations

import pytest

from steward.errors import InvalidInput
from steward.tenants import repository as tenants_repo
from steward.tenants import service
from steward.tenants.deletion import DeleteRefused, TenantDeletion
from steward.tenants.models import PaymentStatus
from tests.fakes import Fakes, fakes


def _tenant(f: Fakes, email: str = "  Owner@Example.COM ", name: str = "Ace Plumbing") -> str:
    with f.db.transaction() as session:
        return service.create(
            session, f.runtime.product, f.clock, service.NewTenant(email, name)
        ).id


def test_sign_up_normalizes_the_email_and_refuses_a_bad_one() -> None:
    with fakes() as f:
        tid = _tenant(f)
        assert f.count("tenants", id=tid, email="owner@example.com", name="Ace Plumbing") == 1
        assert f.count("tenant_timeline", tenant_id=tid) == 1
        with pytest.raises(InvalidInput, match="email"), f.db.transaction() as session:
            service.create(session, f.runtime.product, f.clock, service.NewTenant("nope", "X"))


def test_delete_dry_run_changes_nothing_then_the_delete_leaves_only_the_logs() -> None:
    with fakes() as f:
        tid, other = _tenant(f), _tenant(f, "b@example.com", "Other")
        deletion = f.runtime.service(TenantDeletion)
        with f.db.transaction() as session:
            dry = deletion.delete(session, tid, confirm="Ace Plumbing", actor="t", dry_run=True)
        assert dry.failed == [] and dry.deleted is False
        assert dry.rows == {"tenant_timeline": 1, "tenants": 1}
        assert f.count("tenants", id=tid) == 1

        with pytest.raises(DeleteRefused) as refused, f.db.transaction() as session:
            deletion.delete(session, tid, confirm="Ace plumbing", actor="t")
        assert [c["check"] for c in refused.value.details["failed"]] == ["confirmation"]
        assert f.count("tenants", id=tid) == 1

        with f.db.transaction() as session:
            plan = deletion.delete(session, tid, confirm="Ace Plumbing", actor="ops")
        assert plan.deleted and plan.rows == dry.rows
        assert f.count("tenants", id=tid) == 0 and f.count("tenant_timeline", tenant_id=tid) == 0
        assert f.count("tenants", id=other) == 1
        assert f.count("audit_log", target=f"tenant:{tid}", action="tenant.delete") == 1
        assert f.bus.types() == ["tenant.delete_requested"]


def test_delete_refuses_a_paying_tenant() -> None:
    with fakes() as f:
        tid = _tenant(f)
        with f.db.transaction() as session:
            tenants_repo.get(session, tid).payment_status = PaymentStatus.ACTIVE
        with pytest.raises(DeleteRefused, match="payment_inactive"), f.db.transaction() as s:
            f.runtime.service(TenantDeletion).delete(s, tid, confirm="Ace Plumbing", actor="t")
