"""What a tenant's delete removes from alerts: the tenant's alerts with their history, and its
mute. Deliveries are the record of what was sent, and name no tenant."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.alerts.models import Alert, AlertHistory, AlertMute
from steward.db import rowcount
from steward.module import TenantRows


def delete_tenant(session: Session, tenant_id: str) -> TenantRows:
    alerts = sa.select(Alert.id).where(Alert.tenant_id == tenant_id)
    history = session.execute(sa.delete(AlertHistory).where(AlertHistory.alert_id.in_(alerts)))
    gone = session.execute(sa.delete(Alert).where(Alert.tenant_id == tenant_id))
    mutes = session.execute(sa.delete(AlertMute).where(AlertMute.tenant_id == tenant_id))
    return TenantRows(
        deleted={
            "alert_history": rowcount(history),
            "alerts": rowcount(gone),
            "alert_mutes": rowcount(mutes),
        }
    )
