"""Queries on magic links, customer sessions and rate-limit hits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.customers.models import CustomerSession, LinkPurpose, MagicLink, RateHit
from steward.tenants.models import Tenant


def add_link(session: Session, link: MagicLink) -> None:
    session.add(link)
    session.flush()


def redeem_link(session: Session, token_hash: str, now: datetime) -> MagicLink | None:
    """Mark the link used if it is unused and unexpired; the one caller that matched gets it."""
    result = session.execute(
        sa.update(MagicLink)
        .where(
            MagicLink.token_hash == token_hash,
            MagicLink.used_at.is_(None),
            MagicLink.expires_at > now,
        )
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(MagicLink, token_hash)


def open_session(session: Session, row: CustomerSession) -> None:
    session.add(row)
    session.flush()


def live_session(session: Session, token_hash: str, now: datetime) -> CustomerSession | None:
    return session.execute(
        sa.select(CustomerSession).where(
            CustomerSession.token_hash == token_hash,
            CustomerSession.expires_at > now,
            CustomerSession.revoked_at.is_(None),
        )
    ).scalar_one_or_none()


def revoke_session(session: Session, token_hash: str, now: datetime) -> None:
    session.execute(
        sa.update(CustomerSession)
        .where(CustomerSession.token_hash == token_hash, CustomerSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def hits_since(session: Session, bucket: str, since: datetime) -> list[datetime]:
    rows = session.execute(
        sa.select(RateHit.at)
        .where(RateHit.bucket == bucket, RateHit.at > since)
        .order_by(RateHit.at)
    ).scalars()
    return list(rows)


def add_hit(session: Session, bucket: str, at: datetime) -> None:
    session.add(RateHit(bucket=bucket, at=at))


def prune_hits(session: Session, before: datetime) -> None:
    session.execute(sa.delete(RateHit).where(RateHit.at <= before))


def tenants_of(session: Session, email: str, limit: int) -> list[Tenant]:
    rows = session.execute(
        sa.select(Tenant).where(Tenant.email == email).order_by(Tenant.created_at).limit(limit)
    ).scalars()
    return list(rows)


def verified(session: Session, tenant_id: str) -> bool:
    """The tenant's owner redeemed a verification link."""
    found = session.execute(
        sa.select(MagicLink.token_hash)
        .where(
            MagicLink.tenant_id == tenant_id,
            MagicLink.purpose == LinkPurpose.VERIFY,
            MagicLink.used_at.is_not(None),
        )
        .limit(1)
    ).first()
    return found is not None
