"""Read models of wallets for the API, the cockpit and the CLI."""

from __future__ import annotations

from sqlalchemy.orm import Session

from steward.kit.money import format_minor
from steward.wallets import recharge_repository, repository
from steward.wallets.models import Wallet
from steward.wallets.schemas import EntryOut, RechargeOut, WalletOut


def wallet_view(
    session: Session, wallet: Wallet, *, entries: int = 20, admin: bool = False
) -> WalletOut:
    unpaid, unpaid_amount = repository.unpaid_usage(session, wallet.tenant_id)
    return WalletOut(
        id=wallet.id,
        tenant_id=wallet.tenant_id,
        currency=wallet.currency,
        balance=wallet.balance,
        debt_limit=wallet.debt_limit,
        available=wallet.balance + wallet.debt_limit,
        blocked=wallet.balance + wallet.debt_limit <= 0,
        formatted_balance=format_minor(wallet.balance, wallet.currency),
        unpaid_usage=unpaid,
        unpaid_amount=unpaid_amount,
        auto_recharge={
            "threshold": wallet.recharge_threshold,
            "amount": wallet.recharge_amount,
            "state": wallet.recharge_state.value,
            "card_saved": bool(wallet.stripe_payment_method),
            "backoff_until": wallet.recharge_backoff_until,
        },
        entries=[
            EntryOut.model_validate(e)
            for e in repository.recent_entries(session, wallet.id, entries)
        ],
        recharges=[
            RechargeOut.model_validate(r)
            for r in recharge_repository.for_wallet(session, wallet.id)
        ]
        if admin
        else [],
    )
