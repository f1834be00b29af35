"""The cockpit over a JobRun client in onboarding: the stuck alert on the alerts page links to
the tenant's page, which shows the onboarding state, its moves and the conversation with the
message bodies masked; the manual activation form activates a client Stripe says has paid."""

from __future__ import annotations

import re
from datetime import timedelta

from examples.jobrun.tests.journey import jobrun

from steward.operators.service import create_operator
from tests.conftest import db

__all__ = ["db"]
PASSWORD = "a long cockpit password"


def test_tenant_page_shows_onboarding_and_activates_by_hand(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        tenant_id = j.details()
        create_operator(j.server.runtime, "night@example.com", PASSWORD)
        http = j.server.http
        r = http.post("/cockpit/login", data={"email": "night@example.com", "password": PASSWORD})
        assert r.status_code in (200, 303), r.text
        j.clock.advance(timedelta(hours=2, minutes=1))
        j.server.alerts.sweep()

        alerts = http.get("/cockpit/alerts").text
        assert f'href="/cockpit/tenants/{tenant_id}"' in alerts
        page = http.get(f"/cockpit/tenants/{tenant_id}").text
        assert "Onboarding" in page and "S5_CONFIRM_LIVE" in page
        assert "S4_EMAIL → S5_CONFIRM_LIVE" in page
        assert "Which area do you cover?" not in page  # a message body: masked
        assert "Leeds LS1" not in page.split("<h3>Conversation</h3>")[1]
        assert "Activate by hand" in page

        session_id = j.onboarding(tenant_id)["signals"]["checkout_session"]
        r = http.post(
            "/sandbox/stripe/_sandbox/faults", json={"drop_types": ["checkout.session.completed"]}
        )
        j.pay(tenant_id)
        assert j.tenant(tenant_id)["payment_status"] == "none"
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        r = http.post(
            f"/cockpit/tenants/{tenant_id}/activate",
            data={"csrf": csrf.group(1), "reason": "webhook lost", "stripe_reference": session_id},
        )
        assert r.status_code in (200, 303), r.text
        assert j.tenant(tenant_id)["payment_status"] == "active"
        j.wait_state(tenant_id, "S7_FORWARDING")
        assert "Activate by hand" not in http.get(f"/cockpit/tenants/{tenant_id}").text
