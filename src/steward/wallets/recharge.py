"""Auto-recharge: one off-session charge per threshold crossing, never two.

``maybe_start`` runs in the debit's transaction: a guarded UPDATE moves the wallet IDLE ->
IN_FLIGHT (so at most one attempt per wallet is in flight), checks the daily and monthly caps and
the ``auto_recharge`` kill switch, inserts attempt ``seq`` and publishes
``wallet.recharge_requested``, whose subscriber workflow charges Stripe with the idempotency key
``recharge:<wallet>:<seq>``. Only the payment's webhook credits the wallet (once, keyed by the
payment intent) and closes the attempt; a decline closes it with a doubling back-off."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from steward.errors import IllegalTransition
from steward.runtime import Runtime
from steward.wallets import recharge_repository as repo
from steward.wallets.models import Recharge, RechargeStatus

log = structlog.get_logger("steward.wallets.recharge")
REQUESTED = "wallet.recharge_requested"
WORKFLOW = "steward.wallets.recharge"


def maybe_start(runtime: Runtime, session: Session, wallet_id: str) -> int | None:
    """Open a recharge attempt if this wallet needs one; returns its id."""
    now: datetime = runtime.clock.now()
    opened = repo.open_if_idle(session, wallet_id, now)
    if opened is None:
        return None
    seq, amount = opened
    settings = runtime.settings
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    reason = ""
    if not runtime.flags.enabled("auto_recharge"):
        reason = "kill switch auto_recharge is off"
    elif repo.count_since(session, wallet_id, day) >= settings.recharge_max_per_day:
        reason = f"daily cap of {settings.recharge_max_per_day} recharges reached"
    elif repo.count_since(session, wallet_id, month) >= settings.recharge_max_per_month:
        reason = f"monthly cap of {settings.recharge_max_per_month} recharges reached"
    attempt = repo.add(
        session,
        Recharge(
            wallet_id=wallet_id,
            seq=seq,
            status=RechargeStatus.SKIPPED if reason else RechargeStatus.PENDING,
            amount=amount,
            idempotency_key=f"recharge:{wallet_id}:{seq}",
            reason=reason,
            created_at=now,
            updated_at=now,
        ),
    )
    if reason:
        # Skipped: back off like a decline so every later debit does not open another row.
        repo.close(session, wallet_id, seq, declined=True, backoff=_backoff(runtime), now=now)
        log.info("wallet.recharge_skipped", wallet_id=wallet_id, seq=seq, reason=reason)
        return None
    runtime.bus.publish(
        session, REQUESTED, data={"recharge_id": attempt.id, "wallet_id": wallet_id}
    )
    return attempt.id


def _backoff(runtime: Runtime) -> timedelta:
    return timedelta(seconds=runtime.settings.recharge_backoff_seconds)


def mark_charging(runtime: Runtime, session: Session, recharge_id: int, pi_id: str | None) -> None:
    # IllegalTransition: the webhook was faster, the attempt already succeeded or declined.
    with contextlib.suppress(IllegalTransition):
        repo.transition(
            session,
            recharge_id,
            RechargeStatus.CHARGING,
            runtime.clock.now(),
            payment_intent_id=pi_id,
        )


def _finish(
    runtime: Runtime, session: Session, recharge_id: int, status: RechargeStatus, **values: Any
) -> bool:
    """End an attempt and free the wallet for the next one; False when it had already ended
    (a duplicate or late webhook)."""
    attempt = repo.get(session, recharge_id)
    repo.lock_wallet(session, attempt.wallet_id)
    try:
        moved = repo.transition(session, recharge_id, status, runtime.clock.now(), **values)
    except IllegalTransition:
        return False
    if moved.before is RechargeStatus.DECLINED:  # a late success: the decline freed the wallet
        repo.forgive(session, attempt.wallet_id)
        return True
    repo.close(
        session,
        attempt.wallet_id,
        attempt.seq,
        declined=status is not RechargeStatus.SUCCEEDED,
        backoff=_backoff(runtime),
        now=runtime.clock.now(),
    )
    return True


def succeeded(runtime: Runtime, session: Session, recharge_id: int, pi_id: str) -> bool:
    return _finish(runtime, session, recharge_id, RechargeStatus.SUCCEEDED, payment_intent_id=pi_id)


def declined(runtime: Runtime, session: Session, recharge_id: int, reason: str) -> bool:
    return _finish(runtime, session, recharge_id, RechargeStatus.DECLINED, reason=reason)


def skipped(runtime: Runtime, session: Session, recharge_id: int, reason: str) -> None:
    _finish(runtime, session, recharge_id, RechargeStatus.SKIPPED, reason=reason)
