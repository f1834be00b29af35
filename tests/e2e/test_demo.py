"""What `make run` does: a scripted customer signs up, pays in the Stripe sandbox, is activated."""

from __future__ import annotations

from steward.demo.script import scripted_customer
from tests.support import ADMIN, Server, free_port, settings_for


def test_scripted_customer_is_activated_by_the_sandbox_webhooks(db: tuple[str, str]) -> None:
    with Server(settings_for(*db, port=free_port())) as server:
        tenant = scripted_customer(server.runtime, server.sandbox, server.base_url)
        assert tenant["payment_status"] == "active"
        assert tenant["billing_status"] == "trialing"
        assert tenant["stripe_subscription_id"].startswith("sub_")
        server.wait_for(server.settled)
        kinds = [
            e["type"] for e in server.http.get("/admin/api/events", headers=ADMIN).json()["items"]
        ]
        assert "checkout.session.completed" in kinds and "customer.subscription.created" in kinds
        assert all(d.status_code == 200 for d in server.sandbox.deliveries if d.status_code)
