"""Queries on the alert log, mutes and deliveries. Only this module touches those tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from steward.alerts.models import (
    ACTIVE,
    TRANSITIONS,
    Alert,
    AlertDelivery,
    AlertHistory,
    AlertMute,
    AlertStatus,
)
from steward.kit import transitions
from steward.kit.repository import get_or_404, page
from steward.kit.transitions import Moved

COUNT_CAP = 10_000  # list totals are exact up to this, then shown as "10,000+"


@dataclass(frozen=True)
class AlertFilter:
    alert_type: str | None = None  # the rule key
    severity: str | None = None
    resource_id: str | None = None
    tenant_id: str | None = None
    status: AlertStatus | None = None


def get(session: Session, alert_id: int) -> Alert:
    return get_or_404(session, Alert, alert_id, "alert")


def active_for_rule(session: Session, rule: str) -> list[Alert]:
    return list(
        session.execute(
            sa.select(Alert).where(Alert.rule == rule, Alert.status.in_(ACTIVE))
        ).scalars()
    )


def active_for(session: Session, rule: str, resource_id: str) -> Alert | None:
    return session.execute(
        sa.select(Alert).where(
            Alert.rule == rule, Alert.resource_id == resource_id, Alert.status.in_(ACTIVE)
        )
    ).scalar_one_or_none()


def active_for_tenant(session: Session, tenant_id: str, rules: list[str]) -> list[Alert]:
    return list(
        session.execute(
            sa.select(Alert).where(
                Alert.tenant_id == tenant_id, Alert.rule.in_(rules), Alert.status.in_(ACTIVE)
            )
        ).scalars()
    )


def add(session: Session, alert: Alert) -> Alert:
    session.add(alert)
    session.flush()
    return alert


def transition(
    session: Session,
    alert_id: int,
    target: AlertStatus,
    *,
    expect: AlertStatus | None = None,
    **values: Any,
) -> Moved[AlertStatus]:
    """Move an alert to ``target``, guarded in the database by the transition table."""
    return transitions.transition(
        session, Alert, {"id": alert_id}, target, table=TRANSITIONS, what="alert",
        expect=expect, values=values,
    )  # fmt: skip


def history(
    session: Session, alert_id: int, at: datetime, kind: str, message: str, actor: str = "steward"
) -> None:
    session.add(AlertHistory(alert_id=alert_id, at=at, kind=kind, message=message, actor=actor))


def history_of(session: Session, alert_ids: list[int]) -> list[AlertHistory]:
    if not alert_ids:
        return []
    return list(
        session.execute(
            sa.select(AlertHistory)
            .where(AlertHistory.alert_id.in_(alert_ids))
            .order_by(AlertHistory.id)
        ).scalars()
    )


def search(
    session: Session, f: AlertFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[Alert], int]:
    where: list[Any] = []
    if f.alert_type:
        where.append(Alert.rule == f.alert_type)
    if f.severity:
        where.append(Alert.severity == f.severity)
    if f.resource_id:
        where.append(Alert.resource_id == f.resource_id)
    if f.tenant_id:
        where.append(Alert.tenant_id == f.tenant_id)
    if f.status is not None:
        where.append(Alert.status == f.status)
    stmt = sa.select(Alert).where(*where).order_by(Alert.id.desc())
    return page(session, stmt, limit, offset, cap=COUNT_CAP)


def active_by_severity(session: Session) -> dict[str, int]:
    rows = session.execute(
        sa.select(Alert.severity, sa.func.count())
        .where(Alert.status.in_(ACTIVE))
        .group_by(Alert.severity)
    ).all()
    return {sev: n for sev, n in rows}


# -- mutes ----------------------------------------------------------------------------------------
def mute_of(session: Session, tenant_id: str) -> AlertMute | None:
    return session.get(AlertMute, tenant_id)


def muted_among(session: Session, tenant_ids: list[str], now: datetime) -> set[str]:
    if not tenant_ids:
        return set()
    found: set[str] = set()
    for start in range(0, len(tenant_ids), 500):
        chunk = tenant_ids[start : start + 500]
        found.update(
            session.execute(
                sa.select(AlertMute.tenant_id).where(
                    AlertMute.tenant_id.in_(chunk),
                    sa.or_(AlertMute.until.is_(None), AlertMute.until > now),
                )
            ).scalars()
        )
    return found


def set_mute(session: Session, mute: AlertMute) -> None:
    session.merge(mute)
    session.flush()


def delete_mute(session: Session, tenant_id: str) -> None:
    session.execute(sa.delete(AlertMute).where(AlertMute.tenant_id == tenant_id))


# -- deliveries -----------------------------------------------------------------------------------
def add_delivery(session: Session, delivery: AlertDelivery) -> None:
    session.add(delivery)


def deliveries(
    session: Session, alert_id: int | None = None, limit: int = 100
) -> list[AlertDelivery]:
    stmt = sa.select(AlertDelivery).order_by(AlertDelivery.id.desc()).limit(limit)
    if alert_id is not None:
        stmt = stmt.where(AlertDelivery.alert_id == alert_id)
    return list(session.execute(stmt).scalars())
