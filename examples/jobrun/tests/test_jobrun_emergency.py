"""JobRun's emergency procedure "If Payment Webhook Fails", by the CLI: the client paid, the
webhook never came; ``steward tenants activate`` checks the payment in Stripe and activates
(audited); the late webhook changes nothing."""

from __future__ import annotations

from tests.conftest import db
from tests.support import ADMIN

from examples.jobrun.tests.journey import jobrun
from examples.jobrun.tests.test_jobrun_numbers import cli

__all__ = ["db"]


def test_if_payment_webhook_fails_activate_by_hand(db: tuple[str, str]) -> None:
    with jobrun(db) as j:
        tenant_id = j.details()
        j.server.sandbox.faults.drop_types = {"checkout.session.completed"}
        session_id = j.pay(tenant_id)
        assert j.tenant(tenant_id)["payment_status"] == "none"
        settings = j.server.settings.model_copy(
            update={"stripe_api_base": j.server.base_url + "/sandbox/stripe"}
        )
        out = cli(
            settings, "tenants", "activate", tenant_id,
            "--reason", "webhook lost", "--stripe-reference", session_id,
        )  # fmt: skip
        assert "activated by hand: trialing" in out, out
        assert j.tenant(tenant_id)["payment_status"] == "active"
        audit = j.server.http.get("/admin/api/audit", headers=ADMIN).json()["items"]
        assert [a["action"] for a in audit if a["target"] == f"tenant:{tenant_id}"] == [
            "tenant.activate"
        ]
        j.wait_state(tenant_id, "S7_FORWARDING")
        late = next(e for e in j.server.sandbox.events if e["type"] == "checkout.session.completed")
        assert j.server.post_event(late).status_code == 200
        j.settle()
        assert j.tenant(tenant_id)["billing_status"] == "trialing"
        kinds = [e["kind"] for e in j.tenant(tenant_id)["timeline"]]
        assert kinds.count("already_active") == 1
