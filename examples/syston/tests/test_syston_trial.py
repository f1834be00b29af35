"""Syston's starter plan has a trial: signed up through the wizard and checked out, the owner is
emailed before the trial ends (Stripe's trial_will_end, three days before, through the sandbox's
test clock), once."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.signup_support import bearer, verify, wizard
from tests.e2e.subscription_support import advance

from examples.syston.tests.test_syston_signup import pay, provisioned, syston


def test_trial_ending_email_for_a_wizard_signup(db: tuple[str, str]) -> None:
    with syston(db) as (server, clock, hook, _seen):
        email = "trial@syston.example"
        done = wizard(server, "Trial FC", email, "starter", {"make_webhook_url": hook})
        verify(server, email)
        status = server.http.get("/public/signup/status", headers=bearer(done["plan"]["token"]))
        pay(server, status.json())
        assert provisioned(server, status.json()["token"])["provisioning"] == "complete"
        advance(server, clock, timedelta(days=11, hours=1))  # 14-day trial: notice at day 11
        sink = server.app.state.sandboxes.mail

        def notices() -> list[str]:
            return [m.subject for m in sink.to(email) if "trial ends" in m.subject]

        server.wait_for(lambda: bool(notices()), timeout=20)
        assert notices() == [notices()[0]] and notices()[0].startswith("Your Syston trial ends on")
