"""The ledger: every change of a wallet's balance is one entry, in the same transaction.

A posting is three short statements on both databases:

1. ``INSERT`` the entry ``ON CONFLICT (wallet_id, idempotency_key) DO NOTHING``: a key seen
   before (even one still being written by another transaction, which PostgreSQL waits for)
   returns nothing, and the stored result is replayed, refusals included.
2. one guarded ``UPDATE wallets SET balance = balance + :amount ... WHERE id = :w AND
   balance + :amount >= -debt_limit RETURNING balance``: the row lock is taken here, the limit is
   checked against the current committed balance, and no read-then-write gap exists.
3. ``UPDATE`` the entry with the balance after it (or mark it refused, amount 0).

The caller's transaction commits all three or none, so the balance always equals the sum of
the ledger's amounts; a refusal changes nothing but the stored refusal. A CHECK constraint
(``balance >= -debt_limit``) backs the guard in the database itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from steward.errors import InvalidInput
from steward.wallets import repository as repo
from steward.wallets.errors import DebitRefused, KeyReused
from steward.wallets.models import EntryKind, Outcome, WalletEntry


@dataclass(frozen=True)
class Posting:
    entry_id: int
    wallet_id: str
    kind: EntryKind
    outcome: Outcome
    amount: int  # what moved the balance (0 when refused)
    requested: int
    balance: int  # after the entry, or at the refusal
    debt_limit: int
    currency: str
    replayed: bool

    @property
    def refused(self) -> bool:
        return self.outcome is Outcome.REFUSED

    def refusal(self) -> DebitRefused:
        return DebitRefused(
            balance=self.balance,
            amount=-self.requested,
            debt_limit=self.debt_limit,
            currency=self.currency,
            wallet_id=self.wallet_id,
        )


def post(
    session: Session,
    wallet_id: str,
    *,
    kind: EntryKind,
    amount: int,
    key: str,
    now: datetime,
    description: str = "",
    limited: bool = True,
) -> Posting:
    """Credit (amount > 0) or debit (amount < 0) once per ``key``. A debit past the debt limit
    is refused and stored as refused; it does not raise, so the refusal commits and replays."""
    if amount == 0:
        raise InvalidInput("amount: must not be zero", field="amount")
    if not key:
        raise InvalidInput("idempotency_key: required", field="idempotency_key")
    entry_id = repo.insert_entry_if_new(
        session,
        wallet_id=wallet_id,
        kind=kind,
        amount=amount,
        key=key,
        description=description,
        now=now,
    )
    if entry_id is None:
        return _replay(session, wallet_id, key, kind, amount)
    moved = repo.move_balance(session, wallet_id, amount, limited=limited and amount < 0)
    if moved is not None:
        balance, limit, currency = moved
        outcome = Outcome.APPLIED
    else:
        balance, limit, currency = repo.balance_of(session, wallet_id)
        outcome = Outcome.REFUSED
    repo.settle_entry(
        session, entry_id, balance=balance, debt_limit=limit, refused=outcome is Outcome.REFUSED
    )
    return Posting(
        entry_id=entry_id,
        wallet_id=wallet_id,
        kind=kind,
        outcome=outcome,
        amount=amount if outcome is Outcome.APPLIED else 0,
        requested=amount,
        balance=balance,
        debt_limit=limit,
        currency=currency,
        replayed=False,
    )


def _currency(session: Session, wallet_id: str) -> str:
    return repo.balance_of(session, wallet_id)[2]


def _replay(session: Session, wallet_id: str, key: str, kind: EntryKind, amount: int) -> Posting:
    entry: WalletEntry = repo.entry_by_key(session, wallet_id, key)
    if entry.requested != amount or entry.kind is not kind:
        raise KeyReused(
            f"idempotency key {key!r} was used for a {entry.kind.value} of {entry.requested}, "
            f"not a {kind.value} of {amount}",
            idempotency_key=key,
        )
    return Posting(
        entry_id=entry.id,
        wallet_id=wallet_id,
        kind=entry.kind,
        outcome=entry.outcome,
        amount=entry.amount,
        requested=entry.requested,
        balance=int(entry.balance_after or 0),
        debt_limit=int(entry.debt_limit or 0),
        currency=_currency(session, wallet_id),
        replayed=True,
    )
