"""Alerts on fakes: a condition held past its threshold opens one alert, however many sweeps see
it; a muted tenant's alert opens without notifying; an alert resolves when its condition ends."""

from __future__ import annotations

from datetime import timedelta

from steward.alerts.service import NOTIFY, AlertLog
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from steward.tenants.models import PaymentStatus
from tests.fakes import Fakes, fakes


def _tenant(f: Fakes, name: str) -> str:
    with f.db.transaction() as session:
        new = tenants.NewTenant(f"{name.lower()}@example.com", name)
        return tenants.create(session, f.runtime.product, f.clock, new).id


def test_an_unpaid_signup_alerts_once_and_a_muted_one_stays_quiet() -> None:
    with fakes(alert_urls="json://alerts.invalid/hook") as f:  # a channel; nothing is sent here
        alerts = f.runtime.service(AlertLog)
        loud, quiet = _tenant(f, "Loud"), _tenant(f, "Quiet")
        alerts.mute(quiet, actor="ops")
        assert alerts.sweep().opened == 0  # not yet past the two-hour threshold
        f.clock.advance(timedelta(hours=3))
        first = alerts.sweep()
        assert (first.opened, first.muted) == (2, 1)
        assert f.bus.types().count(NOTIFY) == 1  # the loud one only
        second = alerts.sweep()
        assert second.opened == 0 and f.bus.types().count(NOTIFY) == 1  # fire once
        assert f.count("alerts", tenant_id=loud, rule="payment_gate", status="open") == 1
        with f.db.transaction() as session:  # the loud tenant pays: its condition ends
            tenants_repo.get(session, loud).payment_status = PaymentStatus.ACTIVE
        assert alerts.sweep().resolved == 1
        assert f.count("alerts", tenant_id=loud, status="open") == 0
