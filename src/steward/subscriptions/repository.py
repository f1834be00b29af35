"""Queries on subscriptions, checkout sessions, trial claims and sync cursors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from steward.errors import IllegalTransition, NotFound
from steward.kit.transitions import Moved, transition
from steward.subscriptions.models import (
    CHECKOUT_TRANSITIONS,
    FINAL,
    TRANSITIONS,
    CheckoutSession,
    CheckoutStatus,
    Subscription,
    SubscriptionStatus,
    SubscriptionTransition,
    SyncCursor,
    TrialClaim,
)


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def by_stripe_id(session: Session, stripe_id: str) -> Subscription | None:
    return session.execute(
        sa.select(Subscription)
        .where(Subscription.stripe_subscription_id == stripe_id)
        .with_for_update()
    ).scalar_one_or_none()


def open_for(session: Session, tenant_id: str, plan: str | None) -> Subscription | None:
    """The tenant's subscription still waiting on checkout (no Stripe id yet)."""
    stmt = sa.select(Subscription).where(
        Subscription.tenant_id == tenant_id,
        Subscription.stripe_subscription_id.is_(None),
        Subscription.status.in_([SubscriptionStatus.NONE, SubscriptionStatus.CHECKOUT_OPEN]),
    )
    if plan:
        stmt = stmt.where(Subscription.plan == plan)
    return session.execute(
        stmt.order_by(Subscription.id.desc()).limit(1).with_for_update()
    ).scalar_one_or_none()


PRIORITY = {
    SubscriptionStatus.ACTIVE: 0, SubscriptionStatus.TRIALING: 0, SubscriptionStatus.PAST_DUE: 0,
    SubscriptionStatus.PAUSED: 1, SubscriptionStatus.CHECKOUT_OPEN: 2, SubscriptionStatus.NONE: 3,
    SubscriptionStatus.CANCELED: 4, SubscriptionStatus.EXPIRED: 4,
}  # fmt: skip


def current_for(session: Session, tenant_id: str) -> Subscription | None:
    """The tenant's subscription that matters now: a live one before a pending one before an
    ended one; the same answer whatever order the rows were made in."""
    rows = list(
        session.execute(
            sa.select(Subscription).where(Subscription.tenant_id == tenant_id)
        ).scalars()
    )
    if not rows:
        return None
    return min(
        rows,
        key=lambda s: (
            PRIORITY[s.status],
            -(s.provider_time or s.created_at).timestamp(),
            s.stripe_subscription_id or "",
        ),
    )


def add(session: Session, sub: Subscription) -> Subscription:
    session.add(sub)
    session.flush()
    return sub


def link_stripe_id(session: Session, sub: Subscription, stripe_id: str) -> Subscription:
    """Give ``sub`` its Stripe id; if a concurrent handler made a row for that id, use that."""
    existing = by_stripe_id(session, stripe_id)
    if existing is not None and existing.id != sub.id:
        return existing
    sub.stripe_subscription_id = stripe_id
    session.flush()
    return sub


def set_status(
    session: Session, sub: Subscription, target: SubscriptionStatus, **values: Any
) -> Moved[SubscriptionStatus]:
    """Guarded in the database: the row must still be in the status ``sub`` was read in, and the
    table must allow ``target`` from it (the same status only refreshes the other values)."""
    return transition(
        session, Subscription, {"id": sub.id}, target, table=TRANSITIONS, what="subscription",
        expect=sub.status, stay=True, values=values,
    )  # fmt: skip


def add_transition(session: Session, transition: SubscriptionTransition) -> None:
    session.add(transition)


def transitions(session: Session, sub_id: int) -> list[SubscriptionTransition]:
    return list(
        session.execute(
            sa.select(SubscriptionTransition)
            .where(SubscriptionTransition.subscription_id == sub_id)
            .order_by(SubscriptionTransition.id)
        ).scalars()
    )


def past_due_unsuspended(
    session: Session, before: datetime, limit: int = 500
) -> list[Subscription]:
    return list(
        session.execute(
            sa.select(Subscription)
            .where(
                Subscription.status == SubscriptionStatus.PAST_DUE,
                Subscription.past_due_since < before,
                Subscription.suspended_at.is_(None),
            )
            .limit(limit)
            .with_for_update()
        ).scalars()
    )


def live_with_stripe_id(session: Session, after_id: int, limit: int) -> list[Subscription]:
    return list(
        session.execute(
            sa.select(Subscription)
            .where(
                Subscription.id > after_id,
                Subscription.stripe_subscription_id.is_not(None),
                Subscription.status.not_in(list(FINAL)),
            )
            .order_by(Subscription.id)
            .limit(limit)
        ).scalars()
    )


# -- checkout sessions ---------------------------------------------------------------------------
def open_checkout(session: Session, tenant_id: str, plan: str) -> CheckoutSession | None:
    return session.execute(
        sa.select(CheckoutSession).where(CheckoutSession.open_key == f"{tenant_id}:{plan}")
    ).scalar_one_or_none()


def reserve_checkout(session: Session, values: dict[str, Any]) -> bool:
    """Insert a 'creating' session unless one is open for the tenant and plan; True if inserted."""
    stmt = (
        _insert(session, CheckoutSession.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["open_key"])
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def count_checkouts(session: Session, tenant_id: str, plan: str) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(CheckoutSession)
            .where(CheckoutSession.tenant_id == tenant_id, CheckoutSession.plan == plan)
        ).scalar_one()
    )


def checkout_by_stripe_id(session: Session, stripe_id: str) -> CheckoutSession | None:
    return session.execute(
        sa.select(CheckoutSession).where(CheckoutSession.stripe_session_id == stripe_id)
    ).scalar_one_or_none()


def record_checkout_open(session: Session, checkout_id: int, stripe_id: str, url: str) -> bool:
    """creating -> open with the provider's session; False when a concurrent request for the
    same reservation recorded it first (the same idempotency key gave the same session)."""
    try:
        transition(
            session, CheckoutSession, {"id": checkout_id}, CheckoutStatus.OPEN,
            table=CHECKOUT_TRANSITIONS, what="checkout session",
            where=[CheckoutSession.stripe_session_id.is_(None)],
            values={"stripe_session_id": stripe_id, "url": url},
        )  # fmt: skip
    except (IllegalTransition, NotFound):
        return False
    return True


def close_checkout(session: Session, checkout: CheckoutSession, status: CheckoutStatus) -> None:
    """open (or expired) -> complete, open -> expired; it is no longer open for its tenant."""
    transition(
        session, CheckoutSession, {"id": checkout.id}, status, table=CHECKOUT_TRANSITIONS,
        what="checkout session", values={"open_key": None},
    )  # fmt: skip


# -- trial claims --------------------------------------------------------------------------------
def claims(session: Session, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    rows = session.execute(
        sa.select(TrialClaim.key, TrialClaim.tenant_id).where(TrialClaim.key.in_(keys))
    )
    return {k: t for k, t in rows.all()}


def claim(session: Session, keys: list[str], tenant_id: str, at: datetime) -> None:
    for key in keys:
        session.execute(
            _insert(session, TrialClaim.__table__)
            .values(key=key, tenant_id=tenant_id, claimed_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
        )


# -- sync cursors --------------------------------------------------------------------------------
def cursor(session: Session, name: str) -> int | None:
    return session.execute(
        sa.select(SyncCursor.created_gte).where(SyncCursor.name == name)
    ).scalar()


def set_cursor(session: Session, name: str, created_gte: int, at: datetime) -> None:
    row = session.get(SyncCursor, name, with_for_update=True)
    if row is None:
        session.add(SyncCursor(name=name, created_gte=created_gte, updated_at=at))
    elif created_gte > row.created_gte:
        row.created_gte, row.updated_at = created_gte, at
