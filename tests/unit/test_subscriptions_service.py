"""Checkout and trials on fakes: one Stripe session per tenant and plan however often it is
asked for; one trial per identity, with Gmail's dots and any +tag folded."""

from __future__ import annotations

from steward.subscriptions import checkout, trials
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from tests.fakes import Fakes, fakes


def _tenant(f: Fakes, email: str) -> str:
    with f.db.transaction() as session:
        new = tenants.NewTenant(email, "Ace Plumbing", plan="starter")
        return tenants.create(session, f.runtime.product, f.clock, new).id


def test_asking_twice_gives_one_stripe_session_with_the_plans_trial() -> None:
    with fakes() as f:
        tid = _tenant(f, "owner@example.com")
        first = checkout.open_checkout(f.runtime, tid, "starter")
        again = checkout.open_checkout(f.runtime, tid, "starter")
        assert (first.reused, again.reused) == (False, True)
        assert again.session_id == first.session_id and first.trial_days == 7
        (call,) = f.stripe.checkouts.values()
        assert call["tenant_id"] == tid and call["trial_days"] == 7 and call["price"] == 2900
        assert f.count("checkout_sessions", tenant_id=tid) == 1


def test_a_second_gmail_spelling_of_a_trialed_email_checks_out_without_a_trial() -> None:
    with fakes() as f:
        first = _tenant(f, "jo.smith@gmail.com")
        with f.db.transaction() as session:
            tenant = tenants_repo.get(session, first)
            trials.claim(session, f.runtime.product, tenant, f.clock.now())
        same_person = _tenant(f, "JoSmith+shop@gmail.com")
        result = checkout.open_checkout(f.runtime, same_person, "starter")
        assert result.trial_days == 0
        assert result.trial_refusal is not None
        assert "email josmith@gmail.com already had a trial" in result.trial_refusal
        assert first not in result.trial_refusal  # the tenant sees it: never the other tenant
        (call,) = f.stripe.checkouts.values()
        assert call["trial_days"] == 0
        # dots are folded for Gmail only: another domain's dotted address is someone else
        other = _tenant(f, "jo.smith@example.com")
        with f.db.transaction() as session:
            trials.claim(
                session, f.runtime.product, tenants_repo.get(session, other), f.clock.now()
            )
        assert (
            checkout.open_checkout(
                f.runtime, _tenant(f, "josmith@example.com"), "starter"
            ).trial_days
            == 7
        )
