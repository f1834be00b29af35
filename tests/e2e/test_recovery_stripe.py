"""A Stripe-billed product gets the same recovery: invoice.payment_failed opens a case, the
reminder is an email with the billing portal, invoice.paid recovers it. Stripe's sandbox posts
the signed webhooks; the mail sink catches the reminder; the incentive is a Stripe coupon."""

from __future__ import annotations

from datetime import timedelta

import pytest

from steward.errors import ProviderError
from steward.recovery import workflows
from steward.recovery.models import OWN_COMPANY
from tests.e2e.messaging_helpers import NUMBER, api_sends
from tests.e2e.recovery_support import NEVER
from tests.e2e.subscription_support import advance, lifecycle_server, pay, signup
from tests.support import ADMIN

PHONE = "+447911123456"  # the tenant's phone at signup


def test_a_stripe_invoice_failure_is_reminded_then_recovered(db: tuple[str, str]) -> None:
    settings = {"recovery_tick_cron": NEVER, "twilio_from_number": NUMBER}
    with lifecycle_server(db, **settings) as (server, clock):
        tenant_id, auth = signup(server, "dunning@example.com", PHONE)
        pay(server, auth, plan="pro")
        coupon = server.runtime.stripe.client.v1.coupons.create(
            {"percent_off": 50, "duration": "once"}
        )
        settings = {"offsets_days": [1, 3], "channels": ["email", "sms"],
                    "attempts_before_cancel": 2, "incentive_coupon": coupon.id}  # fmt: skip
        r = server.http.put(
            f"/admin/api/recovery/companies/{OWN_COMPANY}/settings", json=settings, headers=ADMIN
        )
        assert r.status_code == 200, r.text
        server.sandbox.lifecycle.declining.add("*")
        advance(server, clock, timedelta(days=31))

        def cases() -> list[dict[str, object]]:
            r = server.http.get(
                "/admin/api/recovery/cases", params={"company_id": OWN_COMPANY}, headers=ADMIN
            )
            assert r.status_code == 200, r.text
            items: list[dict[str, object]] = r.json()["items"]
            return items

        opened = cases()
        assert [(c["provider"], c["state"], c["amount_due"]) for c in opened] == [
            ("stripe", "open", 9900)
        ]
        clock.advance(timedelta(days=1, minutes=1))
        assert workflows.tick(server.runtime).sent == 1
        assert workflows.tick(server.runtime).sent == 0
        sink = server.app.state.sandboxes.mail
        server.wait_for(lambda: len(sink.to("dunning@example.com")) >= 1)
        reminders = [m for m in sink.to("dunning@example.com") if "payment" in m.subject.lower()]
        assert len(reminders) == 1 and "/_sandbox/portal/" in reminders[0].text
        server.wait_for(lambda: len(api_sends(server, PHONE)) == 1)  # and one text, via messaging
        assert "/_sandbox/portal/" in api_sends(server, PHONE)[0]["body"]

        server.sandbox.lifecycle.declining.clear()
        advance(server, clock, timedelta(days=2))
        case = server.http.get(f"/admin/api/recovery/cases/{opened[0]['id']}", headers=ADMIN)
        detail = case.json()
        assert detail["state"] == "recovered", detail
        assert detail["recovered_amount"] == 4950, detail  # the coupon took half the retry off
        assert [(a["kind"], a["channel"]) for a in detail["actions"]] == [
            ("incentive", None),
            ("nudge", "email"),
            ("nudge", "sms"),
        ]
        sub = server.runtime.stripe.retrieve_subscription(str(detail["membership_id"]))
        assert sub.get("discounts") == []  # a "once" coupon is used up by that invoice
        with pytest.raises(ProviderError, match="No such coupon"):  # as Stripe refuses it
            server.runtime.stripe.apply_coupon(str(detail["membership_id"]), "co_nope", "k-1")
        assert tenant_id
