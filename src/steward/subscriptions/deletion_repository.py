"""What a tenant's delete removes from subscriptions: its subscriptions with their transitions,
its checkout sessions and its trial claims."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.db import rowcount
from steward.module import TenantRows
from steward.subscriptions.models import (
    CheckoutSession,
    Subscription,
    SubscriptionTransition,
    TrialClaim,
)


def delete_tenant(session: Session, tenant_id: str) -> TenantRows:
    owned = sa.select(Subscription.id).where(Subscription.tenant_id == tenant_id)
    transitions = session.execute(
        sa.delete(SubscriptionTransition).where(SubscriptionTransition.subscription_id.in_(owned))
    )
    subscriptions = session.execute(
        sa.delete(Subscription).where(Subscription.tenant_id == tenant_id)
    )
    checkouts = session.execute(
        sa.delete(CheckoutSession).where(CheckoutSession.tenant_id == tenant_id)
    )
    claims = session.execute(sa.delete(TrialClaim).where(TrialClaim.tenant_id == tenant_id))
    return TenantRows(
        deleted={
            "subscription_transitions": rowcount(transitions),
            "subscriptions": rowcount(subscriptions),
            "checkout_sessions": rowcount(checkouts),
            "trial_claims": rowcount(claims),
        }
    )
