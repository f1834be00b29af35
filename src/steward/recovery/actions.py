"""What recovery does to a member, through the providers, each with its own idempotency key, and
the audit row of each (``recovery_actions``) written in the caller's transaction.

The row is flushed first, then the provider is called: if the call fails the transaction rolls
back and no row is left; if it succeeds the row commits with the action's other writes. A retry
reuses the key, so the provider replays rather than acts twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from steward.errors import Conflict, ProviderError
from steward.messaging import service as messaging
from steward.messaging.errors import RecipientOptedOut
from steward.providers.email import EmailMessage
from steward.recovery import monitoring
from steward.recovery import repository as repo
from steward.recovery.models import RecoveryAction, RecoveryCase
from steward.recovery.service import Policy
from steward.runtime import Runtime

CHANNELS = ("email", "push", "dm", "sms")
TEMPLATE_VERSION = "reminder-v1"
T = TypeVar("T")


class ChannelNotConfigured(Conflict):
    """The channel cannot reach this member: it is not configured for the company or member."""

    code = "recovery_channel_not_configured"


def audit(
    session: Session,
    case: RecoveryCase,
    kind: str,
    *,
    key: str,
    manual: bool,
    actor: str,
    now: datetime,
    channel: str | None = None,
    attempt: int | None = None,
    template: str | None = None,
) -> None:
    repo.add(
        session,
        RecoveryAction(
            case_id=case.id,
            company_id=case.company_id,
            membership_id=case.membership_id,
            kind=kind,
            channel=channel,
            manual=manual,
            actor=actor[:120],
            template_version=template,
            attempt=attempt,
            idempotency_key=key,
            at=now,
        ),
    )


def manage_url(runtime: Runtime, case: RecoveryCase) -> str | None:
    """Where the member updates their payment: Whop's manage URL, Stripe's billing portal."""
    if case.provider == "whop":
        membership = _timed(
            "retrieve_membership", lambda: runtime.whop.retrieve_membership(case.membership_id)
        )
        return membership.manage_url
    if case.user_id:
        return _timed(
            "billing_portal",
            lambda: runtime.stripe.create_portal_session(
                case.user_id or "", runtime.settings.public_url
            ),
        )
    return None


def nudge(
    runtime: Runtime,
    session: Session,
    case: RecoveryCase,
    channel: str,
    p: Policy,
    *,
    key: str,
    manual: bool,
    actor: str,
    attempt: int,
) -> None:
    """Audit then send one reminder on ``channel``; raises if it cannot be sent."""
    reachable = {
        "email": bool(case.email),
        "push": case.provider == "whop" and bool(case.user_id and p.whop_experience_id),
        "dm": case.provider == "whop" and bool(case.user_id),
        "sms": bool(case.phone and runtime.settings.twilio_from_number),
    }
    if not reachable.get(channel, False):
        raise ChannelNotConfigured(
            f"case {case.id}: {channel} cannot reach this member (push needs a Whop member and "
            "whop_experience_id, dm a Whop member, email an address, sms a phone number and "
            "STEWARD_TWILIO_FROM_NUMBER)"
        )
    audit(
        session,
        case,
        "nudge",
        key=key,
        manual=manual,
        actor=actor,
        now=runtime.clock.now(),
        channel=channel,
        attempt=attempt,
        template=TEMPLATE_VERSION,
    )
    url = manage_url(runtime, case) or runtime.settings.public_url
    title = "Your payment did not go through"
    text = f"We could not take your last payment. Update your payment method here: {url}"
    user = case.user_id or ""
    if channel == "email":
        message = EmailMessage(to=case.email or "", subject=title, text=text)
        _timed("email", lambda: runtime.mailer.send(message, key))
    elif channel == "push":
        _timed(
            "push",
            lambda: runtime.whop.send_push(
                user_id=user,
                title=title,
                content=text,
                idempotency_key=key,
                experience_id=p.whop_experience_id,
            ),
        )
    elif channel == "sms":
        _sms(runtime, session, case, text, key)
    else:
        _timed(
            "dm",
            lambda: runtime.whop.send_direct_message(
                user_id=user, content=text, idempotency_key=key
            ),
        )
    monitoring.NUDGES.labels(channel=channel, manual=str(manual).lower()).inc()


def _sms(runtime: Runtime, session: Session, case: RecoveryCase, text: str, key: str) -> None:
    """Through the messaging service: the text is recorded and its send published in this
    transaction, so it commits with the audit row or not at all, and is sent at most once."""
    try:
        messaging.send_sms(
            session, runtime, to=case.phone or "", body=text, purpose="recovery", key=key
        )
    except RecipientOptedOut as exc:
        raise ChannelNotConfigured(f"case {case.id}: {exc.message}") from exc
    monitoring.PROVIDER_CALLS.labels(endpoint="sms", outcome="ok").inc()


def incentive(
    runtime: Runtime, session: Session, case: RecoveryCase, p: Policy, *, manual: bool, actor: str
) -> bool:
    """Offer the company's incentive once per case: Whop free days, or a Stripe coupon on the
    subscription's coming invoices. False when there is none for this provider."""
    key = f"recovery:{case.id}:incentive"
    if case.incentive_applied:
        return False
    call: Callable[[], object]
    if case.provider == "whop" and p.incentive_days > 0:
        endpoint, days = "add_free_days", p.incentive_days
        call = lambda: runtime.whop.add_free_days(case.membership_id, days, idempotency_key=key)  # noqa: E731
    elif case.provider == "stripe" and p.incentive_coupon:
        endpoint, coupon = "apply_coupon", p.incentive_coupon
        call = lambda: runtime.stripe.apply_coupon(case.membership_id, coupon, key)  # noqa: E731
    else:
        return False
    audit(session, case, "incentive", key=key, manual=manual, actor=actor, now=runtime.clock.now())
    _timed(endpoint, call)
    case.incentive_applied = True
    session.flush()
    return True


def end_membership(
    runtime: Runtime,
    session: Session,
    case: RecoveryCase,
    kind: str,
    *,
    manual: bool,
    actor: str,
) -> None:
    """``cancel`` (at period end) or ``terminate`` (now) the membership at its provider."""
    key = f"recovery:{case.id}:{kind}"
    audit(session, case, kind, key=key, manual=manual, actor=actor, now=runtime.clock.now())
    reason = "payment recovery ended" if not manual else f"asked by {actor}"
    if case.provider == "whop":
        call = runtime.whop.cancel_at_period_end if kind == "cancel" else runtime.whop.terminate
        _timed(kind, lambda: call(case.membership_id, idempotency_key=key, reason=reason))
    elif kind == "cancel":
        _timed(kind, lambda: runtime.stripe.cancel_at_period_end(case.membership_id, key))
    else:
        _timed(kind, lambda: runtime.stripe.cancel_subscription(case.membership_id, key))


def _timed(endpoint: str, call: Callable[[], T]) -> T:
    started = time.perf_counter()
    try:
        result = call()
    except ProviderError:
        monitoring.PROVIDER_CALLS.labels(endpoint=endpoint, outcome="error").inc()
        raise
    finally:
        monitoring.PROVIDER_SECONDS.labels(endpoint=endpoint).observe(time.perf_counter() - started)
    monitoring.PROVIDER_CALLS.labels(endpoint=endpoint, outcome="ok").inc()
    return result
