"""A customer stuck in an onboarding state longer than its dwell time alerts once ("stuck at S1
for 2 h"), the alert resolves when the customer moves on, and ``reset-stuck`` closes it and
restarts the state's clock so the next sweep does not alert again at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from examples.jobrun.tests.journey import ANSWERS, Journey, jobrun

from tests.conftest import db
from tests.support import ADMIN

__all__ = ["db"]
RULE = "onboarding_stuck"


def _alerts(j: Journey, status: str = "open") -> list[dict[str, Any]]:
    r = j.server.http.get("/admin/api/alerts", params={"status": status}, headers=ADMIN)
    return [a for a in r.json()["items"] if a["rule"] == RULE]


def test_stuck_alert_fires_once_resolves_and_resets(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        j.missed_call()
        tenant_id = j.tenant_id()
        j.clock.advance(timedelta(hours=1, minutes=59))
        j.server.alerts.sweep()
        assert _alerts(j) == []
        j.clock.advance(timedelta(minutes=2))
        j.server.alerts.sweep()
        j.server.alerts.sweep()  # fires once: the second sweep sees the same alert
        (alert,) = _alerts(j)
        assert alert["tenant_id"] == tenant_id
        assert alert["resource_id"] == f"onboarding:{tenant_id}:S1_BUSINESS_NAME"
        assert alert["message"] == "stuck at S1_BUSINESS_NAME for 2 h 1 min"
        assert alert["notified_at"] is not None

        j.text(ANSWERS[0])  # moves on: the alert resolves on the next sweep
        j.server.alerts.sweep()
        assert _alerts(j) == []
        (resolved,) = _alerts(j, "resolved")
        assert resolved["id"] == alert["id"]

        j.clock.advance(timedelta(hours=2, minutes=5))  # now stuck at S2
        j.server.alerts.sweep()
        (alert,) = _alerts(j)
        assert alert["message"] == "stuck at S2_TRADE for 2 h 5 min"
        r = j.server.http.patch(f"/admin/api/tenants/{tenant_id}/reset-stuck", headers=ADMIN)
        assert r.status_code == 200, r.text
        j.server.alerts.sweep()
        assert _alerts(j) == []  # the clock restarted: no re-alert on the next sweep
        j.clock.advance(timedelta(hours=1))
        j.server.alerts.sweep()
        assert _alerts(j) == []
        j.clock.advance(timedelta(hours=1, minutes=1))
        j.server.alerts.sweep()
        (again,) = _alerts(j)
        assert again["id"] != alert["id"] and "for 2 h 1 min" in again["message"]
        assert j.state(tenant_id) == "S2_TRADE"  # the reset moved nothing
