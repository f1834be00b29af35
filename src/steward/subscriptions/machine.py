"""Apply a status change to a subscription: in order, legally, once, and visibly.

1. A change older than the newest one applied is stale: skipped, noted on the tenant's timeline.
2. A change to the current status only refreshes dates.
3. A change the transition table forbids fails the event loudly (``IllegalStatusChange``) — unless
   it carries the same provider time as the state it would replace, when the true order is
   unknowable (Stripe's ``created`` has one-second resolution) and the table decides: skipped.
4. Otherwise a guarded UPDATE moves the status, a transition row records the cause, the tenant
   mirrors it, and domain events tell the other parts of Steward (first activation, suspension
   lifted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from steward.errors import PermanentEventError
from steward.events.bus import DomainEventBus
from steward.kit.clock import Clock
from steward.subscriptions import repository as repo
from steward.subscriptions.models import (
    TRANSITIONS,
    Subscription,
    SubscriptionStatus,
    SubscriptionTransition,
)
from steward.tenants import service as tenants
from steward.tenants.models import BillingStatus, Tenant

S = SubscriptionStatus


class IllegalStatusChange(PermanentEventError):
    """The subscription cannot move to that status from where it is."""

    code = "illegal_subscription_transition"


@dataclass(frozen=True)
class Change:
    status: SubscriptionStatus
    provider_time: datetime | None
    cause: str  # "event:<id>", "api", "sync", "grace"
    reason: str
    event_id: int | None = None
    trial_end: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool | None = None


class Machine:
    def __init__(self, clock: Clock, bus: DomainEventBus) -> None:
        self.clock = clock
        self.bus = bus

    def apply(self, session: Session, tenant: Tenant, sub: Subscription, change: Change) -> bool:
        """Returns True when the change was applied (even if only dates changed)."""
        now = self.clock.now()
        last = sub.provider_time
        when = change.provider_time
        if last is not None and when is not None and when < last:
            tenants.note(
                session,
                tenant,
                now,
                "stale_event",
                f"skipped {change.reason}: it predates the state already applied",
                change.event_id,
            )
            return False
        before = sub.status
        if change.status is not before and change.status not in TRANSITIONS[before]:
            if last is not None and when is not None and when == last:
                tenants.note(
                    session,
                    tenant,
                    now,
                    "stale_event",
                    f"skipped {change.reason}: same provider time as the applied "
                    f"{before.value} state, and {before.value} → {change.status.value} "
                    "is not a legal step",
                    change.event_id,
                )
                return False
            raise IllegalStatusChange(
                f"subscription {sub.stripe_subscription_id or sub.id}: {before.value} → "
                f"{change.status.value} is not allowed ({change.reason})",
                subscription_id=sub.id,
                status=before.value,
                requested=change.status.value,
            )
        values: dict[str, object] = {"updated_at": now}
        if when is not None:
            values["provider_time"] = when
        if change.trial_end is not None:
            values["trial_end"] = change.trial_end
        if change.current_period_end is not None:
            values["current_period_end"] = change.current_period_end
        if change.cancel_at_period_end is not None:
            values["cancel_at_period_end"] = change.cancel_at_period_end
        resumed = False
        if change.status is not before:
            if change.status is S.PAST_DUE:
                values["past_due_since"] = when or now
            elif before is S.PAST_DUE:
                values["past_due_since"] = None
            if sub.suspended_at is not None and change.status in (S.ACTIVE, S.TRIALING):
                values["suspended_at"] = None
                resumed = True
        if repo.set_status(session, sub, change.status, **values).changed:
            repo.add_transition(
                session,
                SubscriptionTransition(
                    subscription_id=sub.id,
                    from_status=before.value,
                    to_status=change.status.value,
                    cause=change.cause,
                    reason=change.reason,
                    at=now,
                ),
            )
        self.mirror(session, tenant, change.reason, change.event_id)
        if resumed:
            tenants.note(
                session,
                tenant,
                now,
                "resumed",
                "payment recovered: suspension lifted",
                change.event_id,
            )
            self.bus.publish(
                session,
                "tenant.resume_requested",
                tenant_id=tenant.id,
                data={"subscription_id": sub.id},
                cause_event_id=change.event_id,
            )
        return True

    def mirror(self, session: Session, tenant: Tenant, reason: str, event_id: int | None) -> None:
        """Show the tenant's current subscription (not merely the last one touched) on it."""
        session.flush()
        sub = repo.current_for(session, tenant.id)
        if sub is None:
            return
        first = tenants.mirror_billing(
            session,
            self.clock,
            tenant,
            status=BillingStatus(sub.status.value),
            trial_ends_at=sub.trial_end,
            provider_time=sub.provider_time,
            reason=reason,
            event_id=event_id,
            customer_id=sub.stripe_customer_id,
            subscription_id=sub.stripe_subscription_id,
        )
        if first:
            self.bus.publish(
                session,
                "tenant.activated",
                tenant_id=tenant.id,
                data={"plan": sub.plan, "billing_status": sub.status.value},
                cause_event_id=event_id,
            )

    def suspend(
        self,
        session: Session,
        tenant: Tenant,
        sub: Subscription,
        reason: str,
        event_id: int | None = None,
    ) -> bool:
        """Beyond the grace period, or on a dispute: ask provisioning to suspend, once."""
        if sub.suspended_at is not None:
            return False
        now = self.clock.now()
        sub.suspended_at = now
        tenants.note(session, tenant, now, "suspended", reason, event_id)
        self.bus.publish(
            session,
            "tenant.suspend_requested",
            tenant_id=tenant.id,
            data={"subscription_id": sub.id, "reason": reason},
            cause_event_id=event_id,
        )
        return True
