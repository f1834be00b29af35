"""The alert log: one active alert per (rule, resource), re-notified only after the rule's
interval or when its severity rises, resolved when its condition clears; operator actions
(acknowledge, resolve, mute with expiry, reset), each audited in the same transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steward.alerts import repository as repo
from steward.alerts.models import ACTIVE, Alert, AlertMute, AlertStatus
from steward.alerts.queries import LIMIT
from steward.alerts.rules import Finding, Rule, Severity
from steward.audit import service as audit
from steward.db import Database
from steward.errors import InvalidInput, NotFound
from steward.events.bus import DomainEventBus
from steward.events.models import DomainEvent
from steward.kit.clock import Clock

log = structlog.get_logger("steward.alerts")

NOTIFY = "alert.notify"  # the domain event that starts a delivery workflow


@dataclass
class SweepReport:
    rules: int = 0
    matched: int = 0
    opened: int = 0
    notified: int = 0
    escalated: int = 0
    resolved: int = 0
    muted: int = 0
    failed_rules: list[str] = field(default_factory=list)
    seconds: float = 0.0


class AlertLog:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        bus: DomainEventBus,
        rules: dict[str, Rule],
        channels: list[str],
    ) -> None:
        self.db, self.clock, self.bus = db, clock, bus
        self.rules = rules
        self.channels = channels
        # Called in a reset's transaction with (session, tenant id, kind): a domain whose rule
        # measures time in a state restarts that clock, so the next sweep does not re-alert.
        self.reset_hooks: list[Callable[[Session, str, str], None]] = []

    def rule(self, key: str) -> Rule:
        rule = self.rules.get(key)
        if rule is None:
            raise NotFound(f"no alert rule named {key!r}")
        return rule

    def channels_for(self, rule: Rule) -> list[str]:
        return [*self.channels, *rule.channels]

    # -- evaluation -------------------------------------------------------------------------------
    def sweep(self) -> SweepReport:
        """Evaluate every sweep rule, one transaction each: a failing rule never blocks the rest."""
        report = SweepReport()
        started = time.perf_counter()
        for rule in self.rules.values():
            if rule.query is None:
                continue
            report.rules += 1
            try:
                with self.db.transaction() as session:
                    self._sweep_rule(session, rule, self.clock.now(), report)
            except Exception as exc:
                report.failed_rules.append(rule.key)
                log.error("alerts.rule_failed", rule=rule.key, error=f"{type(exc).__name__}: {exc}")
        report.seconds = time.perf_counter() - started
        log.info("alerts.swept", **{k: v for k, v in report.__dict__.items()})
        return report

    def _sweep_rule(self, session: Session, rule: Rule, now: datetime, report: SweepReport) -> None:
        findings = rule.findings(session, now)
        report.matched += len(findings)
        active = {a.resource_id: a for a in repo.active_for_rule(session, rule.key)}
        muted = repo.muted_among(
            session, sorted({f.tenant_id for f in findings if f.tenant_id}), now
        )
        fresh = [f for f in findings if f.resource_id not in active]
        if fresh:  # open new alerts in one flush; a concurrent sweep's duplicate fails this rule
            opened = [self._new(rule, f, f.severity or rule.severity, now) for f in fresh]
            session.add_all(opened)
            session.flush()
            for alert, finding in zip(opened, fresh, strict=True):
                repo.history(session, alert.id, now, "opened", finding.message)
                is_muted = finding.tenant_id in muted
                report.opened += 1
                report.muted += is_muted
                report.notified += self._notify(session, rule, alert, "opened", now, is_muted)
        for finding in findings:
            if finding.resource_id not in active:
                continue
            self._observe(
                session,
                rule,
                finding,
                now,
                finding.tenant_id in muted,
                report,
                active.get(finding.resource_id),
            )
        if len(findings) >= LIMIT:
            return  # truncated: what was not seen may still hold
        seen = {f.resource_id for f in findings}
        for resource_id, alert in active.items():
            if resource_id not in seen:
                repo.transition(
                    session, alert.id, AlertStatus.RESOLVED, resolved_at=now, resolved_by="steward"
                )
                repo.history(session, alert.id, now, "resolved", "the condition cleared")
                report.resolved += 1

    def on_domain_event(self, session: Session, event: DomainEvent) -> int:
        """Raise the alerts of every event rule naming this event's type; how many were raised."""
        data: dict[str, Any] = json.loads(event.data or "{}")
        now = self.clock.now()
        raised = 0
        for rule in self.rules.values():
            if event.type not in rule.events:
                continue
            resource = str(
                data.get("resource_id")
                or (f"tenant:{event.tenant_id}" if event.tenant_id else event.type)
            )
            message = str(data.get("message") or _describe(event.type, data))
            finding = Finding(resource, message, event.tenant_id, _severity(data.get("severity")))
            muted = bool(event.tenant_id) and event.tenant_id in repo.muted_among(
                session, [event.tenant_id or ""], now
            )
            self._observe(
                session,
                rule,
                finding,
                now,
                muted,
                SweepReport(),
                repo.active_for(session, rule.key, resource),
                event=True,
            )
            raised += 1
        return raised

    def _observe(
        self,
        session: Session,
        rule: Rule,
        finding: Finding,
        now: datetime,
        muted: bool,
        report: SweepReport,
        alert: Alert | None,
        *,
        event: bool = False,
    ) -> None:
        severity = finding.severity or rule.severity
        if alert is None:
            alert = self._open(session, rule, finding, severity, now)
            if alert is not None:
                report.opened += 1
                report.muted += muted
                report.notified += self._notify(session, rule, alert, "opened", now, muted)
                return
            alert = repo.active_for(session, rule.key, finding.resource_id)
            if alert is None:
                return
        alert.last_seen_at = now
        alert.message = finding.message
        if event:
            alert.occurrences += 1
            repo.history(session, alert.id, now, "seen", f"again: {finding.message}")
        if Severity(severity).rank > Severity(alert.severity).rank:
            repo.history(session, alert.id, now, "escalated", f"{alert.severity} → {severity}")
            alert.severity = severity
            if alert.status is AlertStatus.ACKNOWLEDGED:
                repo.transition(session, alert.id, AlertStatus.OPEN)
                alert.status = AlertStatus.OPEN
            report.escalated += 1
            report.notified += self._notify(session, rule, alert, "escalated", now, muted)
        elif (
            alert.status is AlertStatus.OPEN
            and not muted
            and (alert.notified_at is None or now - alert.notified_at >= rule.renotify)
        ):
            reason = "unmuted" if alert.notified_at is None else "reminder"
            report.notified += self._notify(session, rule, alert, reason, now, muted)

    def _open(
        self, session: Session, rule: Rule, finding: Finding, severity: str, now: datetime
    ) -> Alert | None:
        try:
            with session.begin_nested():
                alert = repo.add(session, self._new(rule, finding, severity, now))
        except IntegrityError:  # another process opened it first
            return None
        repo.history(session, alert.id, now, "opened", finding.message)
        return alert

    @staticmethod
    def _new(rule: Rule, finding: Finding, severity: str, now: datetime) -> Alert:
        return Alert(
            rule=rule.key,
            resource_id=finding.resource_id,
            tenant_id=finding.tenant_id,
            severity=str(severity),
            status=AlertStatus.OPEN,
            title=rule.title,
            message=finding.message,
            first_seen_at=now,
            last_seen_at=now,
            occurrences=1,
            notifications=0,
        )

    def _notify(
        self, session: Session, rule: Rule, alert: Alert, reason: str, now: datetime, muted: bool
    ) -> int:
        if muted:
            if reason != "reminder":
                repo.history(session, alert.id, now, "muted", f"{reason}: not sent (tenant muted)")
            return 0
        alert.notified_at = now
        if not self.channels_for(rule):
            repo.history(session, alert.id, now, "not_sent", f"{reason}: no channel configured")
            return 0
        alert.notifications += 1
        key = f"alert-{alert.id}-{alert.notifications}"
        self.bus.publish(
            session,
            NOTIFY,
            tenant_id=alert.tenant_id,
            data={"alert_id": alert.id, "reason": reason, "notification": key},
        )
        repo.history(session, alert.id, now, "notified", f"{reason}: queued as {key}")
        return 1

    # -- operator actions -------------------------------------------------------------------------
    def acknowledge(self, alert_id: int, *, actor: str) -> Alert:
        return self._close_or_ack(alert_id, AlertStatus.ACKNOWLEDGED, actor, "alert.acknowledge")

    def resolve(self, alert_id: int, *, actor: str) -> Alert:
        return self._close_or_ack(alert_id, AlertStatus.RESOLVED, actor, "alert.resolve")

    def _close_or_ack(self, alert_id: int, target: AlertStatus, actor: str, action: str) -> Alert:
        now = self.clock.now()
        with self.db.transaction() as session:
            alert = repo.get(session, alert_id)
            before = {"status": alert.status.value}
            if target is AlertStatus.ACKNOWLEDGED:
                repo.transition(
                    session, alert_id, target, acknowledged_at=now, acknowledged_by=actor
                )
            else:
                repo.transition(session, alert_id, target, resolved_at=now, resolved_by=actor)
            repo.history(session, alert_id, now, target.value, f"by {actor}", actor)
            audit.record(
                session,
                now,
                actor=actor,
                action=action,
                target=f"alert:{alert_id}",
                before=before,
                after={"status": target.value},
            )
            session.refresh(alert)
            return alert

    def mute(
        self, tenant_id: str, *, actor: str, until: datetime | None = None, reason: str = ""
    ) -> AlertMute:
        now = self.clock.now()
        if until is not None and until <= now:
            raise InvalidInput("until: must be in the future", field="until")
        with self.db.transaction() as session:
            old = repo.mute_of(session, tenant_id)
            mute = AlertMute(
                tenant_id=tenant_id, until=until, reason=reason, muted_by=actor, muted_at=now
            )
            repo.set_mute(session, mute)
            audit.record(
                session,
                now,
                actor=actor,
                action="tenant.mute_alerts",
                target=f"tenant:{tenant_id}",
                before=_mute_dict(old, now),
                after=_mute_dict(mute, now),
            )
        return mute

    def unmute(self, tenant_id: str, *, actor: str) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            old = repo.mute_of(session, tenant_id)
            repo.delete_mute(session, tenant_id)
            audit.record(
                session,
                now,
                actor=actor,
                action="tenant.unmute_alerts",
                target=f"tenant:{tenant_id}",
                before=_mute_dict(old, now),
                after={"muted": False},
            )

    def is_muted(self, session: Session, tenant_id: str) -> bool:
        return bool(repo.muted_among(session, [tenant_id], self.clock.now()))

    def reset(self, tenant_id: str, kind: str, *, actor: str) -> list[int]:
        """Close the tenant's active alerts of every rule that this reset names, so the next
        occurrence alerts again (JobRun's ``resetPaymentGateAlert``)."""
        now = self.clock.now()
        keys = [r.key for r in self.rules.values() if kind in r.resets]
        with self.db.transaction() as session:
            closed = []
            for alert in repo.active_for_tenant(session, tenant_id, keys):
                repo.transition(
                    session, alert.id, AlertStatus.RESOLVED, resolved_at=now, resolved_by=actor
                )
                repo.history(session, alert.id, now, "reset", f"{kind} reset by {actor}", actor)
                closed.append(alert.id)
            for hook in self.reset_hooks:
                hook(session, tenant_id, kind)
            audit.record(
                session,
                now,
                actor=actor,
                action=f"tenant.reset_{kind}",
                target=f"tenant:{tenant_id}",
                before={"active_alerts": closed},
                after={"active_alerts": []},
            )
        return closed


def _mute_dict(mute: AlertMute | None, now: datetime) -> dict[str, Any]:
    if mute is None or (mute.until is not None and mute.until <= now):
        return {"muted": False}
    return {"muted": True, "until": mute.until, "reason": mute.reason}


def _severity(value: Any) -> Severity | None:
    try:
        return Severity(value) if value else None
    except ValueError:
        return None


def _describe(event_type: str, data: dict[str, Any]) -> str:
    details = ", ".join(f"{k}={v}" for k, v in sorted(data.items()) if not isinstance(v, dict))
    return f"{event_type}: {details}"[:500] if details else event_type


__all__ = ["ACTIVE", "AlertLog", "SweepReport"]
