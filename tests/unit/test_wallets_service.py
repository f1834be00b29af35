"""The wallet ledger on fakes: a debit may take the balance down to minus the debt limit and no
further; a refused debit is stored (not raised) and replays as refused; a key posts once; an
auto-recharge setting below the threshold opens one recharge request."""

from __future__ import annotations

from steward.tenants import service as tenants
from steward.wallets import service
from steward.wallets.models import Outcome
from tests.fakes import Fakes, fakes


def _tenant(f: Fakes) -> str:
    with f.db.transaction() as session:
        new = tenants.NewTenant("owner@example.com", "Ace Plumbing")
        return tenants.create(session, f.runtime.product, f.clock, new).id


def test_a_debit_past_the_debt_limit_is_refused_stored_and_replayed() -> None:
    with fakes(wallet_default_debt_limit=500) as f:
        tid = _tenant(f)
        with f.db.transaction() as session:
            wallet = service.wallet_for(f.runtime, session, tid, "gbp")
            service.credit(f.runtime, session, wallet.id, amount=1000, key="topup:1")
            ok = service.debit(f.runtime, session, wallet, amount=1500, key="call:1")
            again = service.debit(f.runtime, session, wallet, amount=1500, key="call:1")
            refused = service.debit(f.runtime, session, wallet, amount=1, key="call:2")
        assert (ok.outcome, ok.balance) == (Outcome.APPLIED, -500)
        assert again.replayed and again.balance == -500  # the same key posts once
        assert refused.refused and refused.amount == 0 and refused.balance == -500
        with f.db.transaction() as session:
            wallet = service.wallet_for(f.runtime, session, tid, "gbp")
            replay = service.debit(f.runtime, session, wallet, amount=1, key="call:2")
        assert replay.refused and replay.replayed
        assert f.count("wallet_entries", wallet_id=wallet.id) == 3  # a refusal is kept, once


def test_auto_recharge_settings_are_audited_and_a_low_balance_requests_one_recharge() -> None:
    with fakes() as f:
        tid = _tenant(f)
        new = service.AutoRecharge(
            threshold=200, amount=1000, stripe_customer_id="cus_1", stripe_payment_method="pm_1"
        )
        with f.db.transaction() as session:
            wallet = service.set_auto_recharge(f.runtime, session, tid, "gbp", new, "ops")
            service.credit(f.runtime, session, wallet.id, amount=300, key="topup:1")
            service.debit(f.runtime, session, wallet, amount=150, key="call:1")
            service.debit(f.runtime, session, wallet, amount=10, key="call:2")
        assert f.count("audit_log", action="wallet.auto_recharge", actor="ops") == 1
        assert f.bus.types().count("wallet.recharge_requested") == 1  # one in flight at a time
