"""Usage in: one priced debit per (tenant, meter, external id), whichever way it arrives — the
provider's webhook, ``POST /api/v1/usage``, or reconciliation. A refused debit keeps the usage,
marked unpaid, and publishes ``wallet.debit_refused`` (block further calls; alert)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from steward.product import Meter
from steward.runtime import Runtime
from steward.wallets import ledger, service
from steward.wallets import repository as repo
from steward.wallets.ledger import Posting
from steward.wallets.models import EntryKind, UsageStatus

log = structlog.get_logger("steward.wallets")


@dataclass(frozen=True)
class UsageResult:
    usage_id: int
    status: UsageStatus
    amount: int
    duplicate: bool
    posting: Posting | None  # None for a duplicate or a free unit


def record(
    runtime: Runtime,
    session: Session,
    *,
    tenant_id: str,
    meter: Meter,
    external_id: str,
    quantity: int,
    source: str,
    occurred_at: datetime | None = None,
    cause_event_id: int | None = None,
) -> UsageResult:
    wallet = service.wallet_for(runtime, session, tenant_id, meter.currency)
    amount = meter.price(quantity)
    usage_id = repo.insert_usage_if_new(
        session,
        {
            "tenant_id": tenant_id,
            "wallet_id": wallet.id,
            "meter": meter.key,
            "external_id": external_id,
            "quantity": quantity,
            "amount": amount,
            "source": source,
            "status": UsageStatus.PAID.value,
            "occurred_at": occurred_at,
            "created_at": runtime.clock.now(),
        },
    )
    key = f"usage:{meter.key}:{external_id}"
    if usage_id is None:
        found = repo.find_usage(session, tenant_id, meter.key, external_id)
        replay = None
        if found.entry_id is not None:  # the stored outcome, a refusal included
            replay = ledger.post(
                session,
                found.wallet_id,
                kind=EntryKind.USAGE,
                amount=-found.amount,
                key=key,
                now=runtime.clock.now(),
            )
        return UsageResult(found.id, found.status, found.amount, True, replay)
    if amount == 0:
        return UsageResult(usage_id, UsageStatus.PAID, 0, False, None)
    posting = service.debit(
        runtime,
        session,
        wallet,
        amount=amount,
        key=key,
        description=f"{meter.key} {quantity} ({source}) {external_id}",
    )
    status = UsageStatus.UNPAID if posting.refused else UsageStatus.PAID
    repo.settle_usage(session, usage_id, status, posting.entry_id)
    if posting.refused:
        refusal = posting.refusal()
        runtime.bus.publish(
            session,
            "wallet.debit_refused",
            tenant_id=tenant_id,
            data={
                "usage_id": usage_id,
                "external_id": external_id,
                "meter": meter.key,
                "source": source,
                **refusal.details,
            },
            cause_event_id=cause_event_id,
        )
        log.warning("wallet.debit_refused", tenant_id=tenant_id, **refusal.details)
    return UsageResult(usage_id, status, amount, False, posting)
