"""Queries on auto-recharge: the wallet's guarded recharge state and the recharge attempts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.kit import transitions
from steward.kit.repository import get_or_404
from steward.kit.transitions import Moved
from steward.wallets.models import (
    RECHARGE_STATE_TRANSITIONS,
    RECHARGE_TRANSITIONS,
    Recharge,
    RechargeState,
    RechargeStatus,
    Wallet,
)

W = cast(sa.Table, Wallet.__table__)
R = cast(sa.Table, Recharge.__table__)
COUNTED = (RechargeStatus.PENDING, RechargeStatus.CHARGING, RechargeStatus.SUCCEEDED)


def open_if_idle(session: Session, wallet_id: str, now: datetime) -> tuple[int, int] | None:
    """IDLE -> IN_FLIGHT when the balance is under the threshold and no back-off holds:
    ``(seq, amount)`` of the new attempt, or None. At most one attempt is in flight."""
    row = session.execute(
        sa.update(W)
        .where(
            W.c.id == wallet_id,
            W.c.recharge_state == RechargeState.IDLE.value,
            W.c.recharge_threshold.is_not(None),
            W.c.recharge_amount > 0,
            W.c.stripe_payment_method.is_not(None),
            W.c.balance < W.c.recharge_threshold,
            sa.or_(W.c.recharge_backoff_until.is_(None), W.c.recharge_backoff_until <= now),
        )
        .values(recharge_state=RechargeState.IN_FLIGHT.value, recharge_seq=W.c.recharge_seq + 1)
        .returning(W.c.recharge_seq, W.c.recharge_amount)
    ).one_or_none()
    return None if row is None else (int(row[0]), int(row[1]))


def close(
    session: Session,
    wallet_id: str,
    seq: int,
    *,
    declined: bool,
    backoff: timedelta,
    now: datetime,
) -> None:
    """IN_FLIGHT -> IDLE, only by the attempt ``seq`` that holds it; a decline counts and backs
    off (doubling), a success resets."""
    wallet = session.execute(
        sa.select(Wallet).where(Wallet.id == wallet_id).with_for_update()
    ).scalar_one()
    declines = wallet.recharge_declines + 1 if declined else 0
    until = now + backoff * 2 ** (declines - 1) if declined else None
    transitions.transition(
        session, W, {"id": wallet_id}, RechargeState.IDLE, table=RECHARGE_STATE_TRANSITIONS,
        what="wallet recharge", column="recharge_state", where=[W.c.recharge_seq == seq],
        values={"recharge_declines": declines, "recharge_backoff_until": until},
    )  # fmt: skip


def forgive(session: Session, wallet_id: str) -> None:
    """A late success of an attempt whose decline already freed the wallet: the card works, so
    the decline count and back-off go (not the hold of a later attempt, if one is in flight)."""
    session.execute(
        sa.update(W)
        .where(W.c.id == wallet_id, W.c.recharge_state == RechargeState.IDLE.value)
        .values(recharge_declines=0, recharge_backoff_until=None)
    )


def add(session: Session, recharge: Recharge) -> Recharge:
    session.add(recharge)
    session.flush()
    return recharge


def lock_wallet(session: Session, wallet_id: str) -> None:
    """Take the wallet's row lock first, as a debit does (its balance UPDATE), so an attempt's
    close and a concurrent debit lock wallet then attempt in the same order (no deadlock)."""
    session.execute(sa.select(W.c.id).where(W.c.id == wallet_id).with_for_update())


def get(session: Session, recharge_id: int) -> Recharge:
    return get_or_404(session, Recharge, recharge_id, "recharge")


def transition(
    session: Session,
    recharge_id: int,
    target: RechargeStatus,
    now: datetime,
    *,
    reason: str | None = None,
    payment_intent_id: str | None = None,
) -> Moved[RechargeStatus]:
    """Guarded: raises IllegalTransition when the attempt is not in a state that allows it."""
    values: dict[str, object] = {"updated_at": now}
    if reason is not None:
        values["reason"] = reason[:500]
    if payment_intent_id is not None:
        values["payment_intent_id"] = payment_intent_id
    return transitions.transition(
        session, R, {"id": recharge_id}, target, table=RECHARGE_TRANSITIONS, what="recharge",
        values=values,
    )  # fmt: skip


def count_since(session: Session, wallet_id: str, since: datetime) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(R)
            .where(
                R.c.wallet_id == wallet_id,
                R.c.created_at >= since,
                R.c.status.in_([s.value for s in COUNTED]),
            )
        ).scalar_one()
    )


def for_wallet(session: Session, wallet_id: str, limit: int = 20) -> list[Recharge]:
    rows = session.execute(
        sa.select(Recharge)
        .where(Recharge.wallet_id == wallet_id)
        .order_by(Recharge.id.desc())
        .limit(limit)
    ).scalars()
    return list(rows)


def outcomes_since(session: Session, since: datetime) -> dict[str, int]:
    rows = session.execute(
        sa.select(R.c.status, sa.func.count()).where(R.c.updated_at >= since).group_by(R.c.status)
    ).all()
    return {str(s): int(n) for s, n in rows}
