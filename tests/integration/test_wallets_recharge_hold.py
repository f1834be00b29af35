"""The wallet's auto-recharge hold on both databases: only the attempt that holds it releases it,
and a late success after a decline clears the back-off without freeing a later attempt's hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from steward.bootstrap import Steward
from steward.errors import IllegalTransition
from steward.wallets import recharge
from steward.wallets import recharge_repository as repo
from steward.wallets.models import Recharge, RechargeState, RechargeStatus
from tests.integration.test_wallets_ledger import make_steward, new_wallet

BACKOFF = timedelta(hours=1)


@pytest.fixture
def steward(db: tuple[str, str]) -> Iterator[Steward]:
    s = make_steward(*db)
    yield s
    s.runtime.db.dispose()


def armed_wallet(steward: Steward) -> str:
    wallet_id = new_wallet(steward)
    with steward.runtime.db.transaction() as session:
        session.execute(
            sa.text(
                "UPDATE wallets SET recharge_threshold = 100, recharge_amount = 500, "
                "stripe_payment_method = 'pm_card_visa' WHERE id = :w"
            ),
            {"w": wallet_id},
        )
    return wallet_id


def hold(steward: Steward, wallet_id: str) -> tuple[RechargeState, int, int]:
    with steward.runtime.db.read() as session:
        row = session.execute(
            sa.text(
                "SELECT recharge_state, recharge_seq, recharge_declines FROM wallets WHERE id = :w"
            ),
            {"w": wallet_id},
        ).one()
    return RechargeState(row[0]), int(row[1]), int(row[2])


def open_attempt(steward: Steward, wallet_id: str) -> int:
    """Claim the hold and record attempt ``seq`` as charging; returns the attempt's id."""
    now = steward.runtime.clock.now()
    with steward.runtime.db.transaction() as session:
        opened = repo.open_if_idle(session, wallet_id, now)
        assert opened is not None
        seq, amount = opened
        attempt = repo.add(
            session,
            Recharge(
                wallet_id=wallet_id, seq=seq, status=RechargeStatus.CHARGING, amount=amount,
                idempotency_key=f"recharge:{wallet_id}:{seq}", reason="", created_at=now,
                updated_at=now,
            ),
        )  # fmt: skip
        return attempt.id


def test_only_the_holding_attempt_releases_the_hold(steward: Steward) -> None:
    wallet_id = armed_wallet(steward)
    open_attempt(steward, wallet_id)
    state, seq, _ = hold(steward, wallet_id)
    assert state is RechargeState.IN_FLIGHT
    now = steward.runtime.clock.now()
    with pytest.raises(IllegalTransition) as info, steward.runtime.db.transaction() as session:
        repo.close(session, wallet_id, seq - 1, declined=False, backoff=BACKOFF, now=now)
    assert "guard" in info.value.message
    assert hold(steward, wallet_id)[0] is RechargeState.IN_FLIGHT
    with steward.runtime.db.transaction() as session:
        repo.close(session, wallet_id, seq, declined=True, backoff=BACKOFF, now=now)
    assert hold(steward, wallet_id) == (RechargeState.IDLE, seq, 1)
    with pytest.raises(IllegalTransition), steward.runtime.db.transaction() as session:
        repo.close(session, wallet_id, seq, declined=True, backoff=BACKOFF, now=now)  # twice
    assert hold(steward, wallet_id) == (RechargeState.IDLE, seq, 1)


def test_a_late_success_after_a_decline_keeps_a_later_hold(steward: Steward) -> None:
    runtime = steward.runtime
    wallet_id = armed_wallet(steward)
    first = open_attempt(steward, wallet_id)
    with runtime.db.transaction() as session:
        assert recharge.declined(runtime, session, first, "card_declined")
        session.execute(
            sa.text("UPDATE wallets SET recharge_backoff_until = NULL WHERE id = :w"),
            {"w": wallet_id},
        )
    assert hold(steward, wallet_id)[::2] == (RechargeState.IDLE, 1)
    open_attempt(steward, wallet_id)  # the next crossing holds the wallet
    with runtime.db.transaction() as session:
        assert recharge.succeeded(runtime, session, first, "pi_late")
    assert hold(steward, wallet_id)[0] is RechargeState.IN_FLIGHT  # still the second's
    with runtime.db.transaction() as session:
        assert not recharge.succeeded(runtime, session, first, "pi_late")  # a duplicate
        assert repo.get(session, first).status is RechargeStatus.SUCCEEDED
