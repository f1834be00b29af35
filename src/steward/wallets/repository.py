"""Queries on wallets and their ledger. Ledger writes are single Core statements so the wallet
row is locked for as short a time as possible (see ledger.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from steward.errors import NotFound
from steward.kit import transitions
from steward.kit.repository import get_or_404
from steward.wallets.models import (
    USAGE_TRANSITIONS,
    ApiKey,
    EntryKind,
    Outcome,
    RechargeState,
    UsageRecord,
    UsageStatus,
    Wallet,
    WalletEntry,
)

W = cast(sa.Table, Wallet.__table__)
E = cast(sa.Table, WalletEntry.__table__)


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# -- wallets -----------------------------------------------------------------------------------
def ensure_wallet(
    session: Session, wallet_id: str, tenant_id: str, currency: str, debt_limit: int, now: datetime
) -> Wallet:
    stmt = (
        _insert(session, W)
        .values(
            id=wallet_id,
            tenant_id=tenant_id,
            currency=currency,
            balance=0,
            debt_limit=debt_limit,
            version=0,
            recharge_state=RechargeState.IDLE.value,
            recharge_seq=0,
            recharge_declines=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "currency"])
    )
    session.execute(stmt)
    found = find_wallet(session, tenant_id, currency)
    assert found is not None
    return found


def find_wallet(session: Session, tenant_id: str, currency: str) -> Wallet | None:
    return session.execute(
        sa.select(Wallet).where(Wallet.tenant_id == tenant_id, Wallet.currency == currency)
    ).scalar_one_or_none()


def get_wallet(session: Session, wallet_id: str, *, for_update: bool = False) -> Wallet:
    return get_or_404(session, Wallet, wallet_id, "wallet", for_update=for_update)


def tenant_wallets(session: Session, tenant_id: str) -> list[Wallet]:
    rows = session.execute(
        sa.select(Wallet).where(Wallet.tenant_id == tenant_id).order_by(Wallet.currency)
    ).scalars()
    return list(rows)


def balance_of(session: Session, wallet_id: str) -> tuple[int, int, str]:
    row = session.execute(
        sa.select(W.c.balance, W.c.debt_limit, W.c.currency).where(W.c.id == wallet_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"wallet {wallet_id} does not exist")
    return int(row[0]), int(row[1]), str(row[2])


# -- the ledger --------------------------------------------------------------------------------
def insert_entry_if_new(
    session: Session,
    *,
    wallet_id: str,
    kind: EntryKind,
    amount: int,
    key: str,
    description: str,
    now: datetime,
) -> int | None:
    """The entry's id, or None when the wallet already has an entry with this key."""
    stmt = (
        _insert(session, E)
        .values(
            wallet_id=wallet_id,
            kind=kind.value,
            outcome=Outcome.APPLIED.value,
            amount=amount,
            requested=amount,
            idempotency_key=key,
            description=description[:500],
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["wallet_id", "idempotency_key"])
        .returning(E.c.id)
    )
    value = session.execute(stmt).scalar_one_or_none()
    return None if value is None else int(value)


def move_balance(
    session: Session, wallet_id: str, amount: int, *, limited: bool
) -> tuple[int, int, str] | None:
    """Add ``amount`` (signed) in one guarded UPDATE; None when the debt limit refuses it."""
    stmt = sa.update(W).where(W.c.id == wallet_id)
    if limited:
        stmt = stmt.where(W.c.balance + amount >= -W.c.debt_limit)
    stmt = stmt.values(balance=W.c.balance + amount, version=W.c.version + 1).returning(
        W.c.balance, W.c.debt_limit, W.c.currency
    )
    row = session.execute(stmt).one_or_none()
    return None if row is None else (int(row[0]), int(row[1]), str(row[2]))


def settle_entry(
    session: Session,
    entry_id: int,
    *,
    balance: int,
    debt_limit: int,
    refused: bool,
) -> None:
    values: dict[str, Any] = {"balance_after": balance, "debt_limit": debt_limit}
    if refused:
        values |= {"outcome": Outcome.REFUSED.value, "amount": 0}
    session.execute(sa.update(E).where(E.c.id == entry_id).values(**values))


def entry_by_key(session: Session, wallet_id: str, key: str) -> WalletEntry:
    return session.execute(
        sa.select(WalletEntry).where(
            WalletEntry.wallet_id == wallet_id, WalletEntry.idempotency_key == key
        )
    ).scalar_one()


def recent_entries(session: Session, wallet_id: str, limit: int = 20) -> list[WalletEntry]:
    rows = session.execute(
        sa.select(WalletEntry)
        .where(WalletEntry.wallet_id == wallet_id)
        .order_by(WalletEntry.id.desc())
        .limit(limit)
    ).scalars()
    return list(rows)


def insert_usage_if_new(session: Session, values: dict[str, Any]) -> int | None:
    table = cast(sa.Table, UsageRecord.__table__)
    stmt = (
        _insert(session, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "meter", "external_id"])
        .returning(table.c.id)
    )
    value = session.execute(stmt).scalar_one_or_none()
    return None if value is None else int(value)


def find_usage(session: Session, tenant_id: str, meter: str, external_id: str) -> UsageRecord:
    return session.execute(
        sa.select(UsageRecord).where(
            UsageRecord.tenant_id == tenant_id,
            UsageRecord.meter == meter,
            UsageRecord.external_id == external_id,
        )
    ).scalar_one()


def settle_usage(session: Session, usage_id: int, status: UsageStatus, entry_id: int) -> None:
    """Once: the debit's outcome on a usage row that has no ledger entry yet."""
    table = cast(sa.Table, UsageRecord.__table__)
    transitions.transition(
        session, table, {"id": usage_id}, status, table=USAGE_TRANSITIONS, what="usage",
        where=[table.c.entry_id.is_(None)], values={"entry_id": entry_id},
    )  # fmt: skip


def billed_external_ids(session: Session, meter: str, external_ids: list[str]) -> set[str]:
    if not external_ids:
        return set()
    rows = session.execute(
        sa.select(UsageRecord.external_id).where(
            UsageRecord.meter == meter, UsageRecord.external_id.in_(external_ids)
        )
    ).scalars()
    return set(rows)


def unpaid_usage(session: Session, tenant_id: str) -> tuple[int, int]:
    row = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(UsageRecord.amount), 0)).where(
            UsageRecord.tenant_id == tenant_id, UsageRecord.status == UsageStatus.UNPAID
        )
    ).one()
    return int(row[0]), int(row[1])


# -- API keys ----------------------------------------------------------------------------------
def add_api_key(session: Session, key: ApiKey) -> ApiKey:
    session.add(key)
    session.flush()
    return key


def api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.execute(
        sa.select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    ).scalar_one_or_none()
