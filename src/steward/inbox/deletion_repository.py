"""What a tenant's delete does to the inbox: the provider's record of each event stays, with its
reference to the deleted tenant cleared."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.db import rowcount
from steward.inbox.models import InboundEvent
from steward.module import TenantRows


def delete_tenant(session: Session, tenant_id: str) -> TenantRows:
    cleared = session.execute(
        sa.update(InboundEvent).where(InboundEvent.tenant_id == tenant_id).values(tenant_id=None)
    )
    return TenantRows(cleared={"inbound_events": rowcount(cleared)})
