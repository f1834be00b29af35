"""What a tenant's delete removes from wallets: its wallets with their ledger entries and
recharges, its usage records and its API keys."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.db import rowcount
from steward.module import TenantRows
from steward.wallets.models import ApiKey, Recharge, UsageRecord, Wallet, WalletEntry


def delete_tenant(session: Session, tenant_id: str) -> TenantRows:
    wallets = sa.select(Wallet.id).where(Wallet.tenant_id == tenant_id)
    usage = session.execute(sa.delete(UsageRecord).where(UsageRecord.tenant_id == tenant_id))
    entries = session.execute(sa.delete(WalletEntry).where(WalletEntry.wallet_id.in_(wallets)))
    recharges = session.execute(sa.delete(Recharge).where(Recharge.wallet_id.in_(wallets)))
    keys = session.execute(sa.delete(ApiKey).where(ApiKey.tenant_id == tenant_id))
    gone = session.execute(sa.delete(Wallet).where(Wallet.tenant_id == tenant_id))
    return TenantRows(
        deleted={
            "usage_records": rowcount(usage),
            "wallet_entries": rowcount(entries),
            "wallet_recharges": rowcount(recharges),
            "api_keys": rowcount(keys),
            "wallets": rowcount(gone),
        }
    )
