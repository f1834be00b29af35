"""Wallet operations for endpoints, handlers and the CLI; they run inside the caller's
transaction and never commit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from steward.audit import service as audit
from steward.kit import money
from steward.kit.ids import new_id
from steward.runtime import Runtime
from steward.tenants import repository as tenants_repo
from steward.wallets import ledger, recharge
from steward.wallets import repository as repo
from steward.wallets.errors import InvalidApiKey
from steward.wallets.ledger import Posting
from steward.wallets.models import ApiKey, EntryKind, Wallet


def wallet_for(runtime: Runtime, session: Session, tenant_id: str, currency: str) -> Wallet:
    """The tenant's wallet in ``currency``, opened on first use with the default debt limit."""
    found = repo.find_wallet(session, tenant_id, currency.lower())
    if found is not None:
        return found
    tenants_repo.get(session, tenant_id)
    return repo.ensure_wallet(
        session,
        new_id("wal"),
        tenant_id,
        money.currency(currency),
        runtime.settings.wallet_default_debt_limit,
        runtime.clock.now(),
    )


def debit(
    runtime: Runtime,
    session: Session,
    wallet: Wallet,
    *,
    amount: int,
    key: str,
    kind: EntryKind = EntryKind.USAGE,
    description: str = "",
) -> Posting:
    """Take ``amount`` (> 0) once per key; a refusal is stored, returned, not raised. A debit that
    leaves the balance under the recharge threshold may open one auto-recharge."""
    posting = ledger.post(
        session,
        wallet.id,
        kind=kind,
        amount=-amount,
        key=key,
        now=runtime.clock.now(),
        description=description,
    )
    if (
        not posting.refused
        and not posting.replayed
        and wallet.recharge_threshold is not None
        and posting.balance < wallet.recharge_threshold
    ):
        recharge.maybe_start(runtime, session, wallet.id)
    return posting


def credit(
    runtime: Runtime,
    session: Session,
    wallet_id: str,
    *,
    amount: int,
    key: str,
    kind: EntryKind = EntryKind.TOPUP,
    description: str = "",
) -> Posting:
    return ledger.post(
        session,
        wallet_id,
        kind=kind,
        amount=amount,
        key=key,
        now=runtime.clock.now(),
        description=description,
    )


def adjust(
    runtime: Runtime,
    session: Session,
    tenant_id: str,
    *,
    amount: int,
    currency: str,
    reason: str,
    key: str,
    actor: str,
    kind: EntryKind = EntryKind.ADJUSTMENT,
) -> Posting:
    """An operator's signed adjustment (a debit still respects the debt limit), audited."""
    wallet = wallet_for(runtime, session, tenant_id, currency)
    before = {"balance": wallet.balance}
    posting = ledger.post(
        session,
        wallet.id,
        kind=kind,
        amount=amount,
        key=f"adjust:{key}",
        now=runtime.clock.now(),
        description=reason,
    )
    if not posting.replayed:
        audit.record(
            session,
            runtime.clock.now(),
            actor=actor,
            action=f"wallet.{kind.value}",
            target=f"wallet:{wallet.id}",
            before=before,
            after={
                "balance": posting.balance,
                "amount": amount,
                "outcome": posting.outcome.value,
                "reason": reason,
            },
        )
    return posting


# -- API keys ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IssuedKey:
    id: str
    tenant_id: str
    key: str  # shown once


@dataclass(frozen=True)
class AutoRecharge:
    """A wallet's auto-recharge: below ``threshold``, charge ``amount`` (None switches it off)
    to the saved card; a customer or payment method given replaces the saved one."""

    threshold: int | None
    amount: int | None
    stripe_customer_id: str | None = None
    stripe_payment_method: str | None = None


def set_auto_recharge(
    runtime: Runtime, session: Session, tenant_id: str, currency: str, new: AutoRecharge, actor: str
) -> Wallet:
    """Change the wallet's auto-recharge settings, audited in the caller's transaction."""
    wallet = wallet_for(runtime, session, tenant_id, currency)
    before = {"threshold": wallet.recharge_threshold, "amount": wallet.recharge_amount}
    wallet.recharge_threshold, wallet.recharge_amount = new.threshold, new.amount
    if new.stripe_customer_id:
        wallet.stripe_customer_id = new.stripe_customer_id
    if new.stripe_payment_method:
        wallet.stripe_payment_method = new.stripe_payment_method
    session.flush()
    audit.record(
        session,
        runtime.clock.now(),
        actor=actor,
        action="wallet.auto_recharge",
        target=f"wallet:{wallet.id}",
        before=before,
        after={"threshold": new.threshold, "amount": new.amount},
    )
    return wallet


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_key(runtime: Runtime, session: Session, tenant_id: str, actor: str) -> IssuedKey:
    tenants_repo.get(session, tenant_id)
    key = "swk_" + secrets.token_urlsafe(32)
    row = repo.add_api_key(
        session,
        ApiKey(
            id=new_id("key"),
            tenant_id=tenant_id,
            key_hash=_hash(key),
            prefix=key[:10],
            created_at=runtime.clock.now(),
        ),
    )
    audit.record(
        session,
        runtime.clock.now(),
        actor=actor,
        action="api_key.issue",
        target=f"tenant:{tenant_id}",
        after={"key_id": row.id, "prefix": row.prefix},
    )
    return IssuedKey(row.id, tenant_id, key)


def tenant_for_api_key(session: Session, key: str) -> str:
    row = repo.api_key_by_hash(session, _hash(key)) if key else None
    if row is None:
        raise InvalidApiKey()
    return row.tenant_id
