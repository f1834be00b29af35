"""Inbox handlers: Whop's payment and membership events and Stripe's invoice events open and
close recovery cases. Provider payloads are parsed at the edge (``providers.whop.parse_event``);
here they are Steward's ``Failure`` and recoveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from steward.errors import PermanentEventError
from steward.inbox.handlers import HandlerContext
from steward.module import On
from steward.providers.whop import MembershipEvent, PaymentEvent, parse_event
from steward.recovery import repository as repo
from steward.recovery import service
from steward.recovery.models import OWN_COMPANY
from steward.tenants import repository as tenants_repo

_INVALID = ("past_due", "unresolved")  # a membership whose renewal failed
_ENDED = ("canceled", "expired", "completed")


def _company(ctx: HandlerContext, whop_company_id: str | None) -> str:
    row = repo.settings_by_whop(ctx.session, whop_company_id) if whop_company_id else None
    if row is None:
        raise PermanentEventError(
            f"no company has installed recovery for Whop company {whop_company_id!r}"
        )
    ctx.tenant_id = row.company_id
    return row.company_id


def whop_payment(ctx: HandlerContext) -> None:
    event = parse_event(ctx.payload)
    assert isinstance(event, PaymentEvent)
    if event.membership_id is None:
        ctx.notes.append("a one-off payment: no membership to recover")
        return
    company = _company(ctx, event.company_id)
    cause, now = f"event:{ctx.event.id}", ctx.runtime.clock.now()
    if event.type == "payment.succeeded":
        case = service.recover(
            ctx.session,
            "whop",
            event.membership_id,
            event.amount,
            event.occurred_at,
            cause,
            now,
            payment_id=event.payment_id,
        )
        ctx.notes.append(f"case {case.id} recovered" if case else "no case to recover")
        return
    _open(
        ctx,
        service.Failure(
            provider="whop",
            company_id=company,
            membership_id=event.membership_id,
            user_id=event.user_id,
            email=None,
            amount=event.amount,
            currency=event.currency,
            payment_id=event.payment_id,
            message=event.failure_message,
            occurred_at=event.occurred_at,
            cause=cause,
        ),
    )


def whop_membership(ctx: HandlerContext) -> None:
    event = parse_event(ctx.payload)
    assert isinstance(event, MembershipEvent)
    company = _company(ctx, event.company_id)
    cause, now = f"event:{ctx.event.id}", ctx.runtime.clock.now()
    if event.status in _ENDED and not event.cancel_at_period_end:
        case = service.expire(ctx.session, "whop", event.membership_id, cause, now)
        ctx.notes.append(f"case {case.id} expired" if case else "no case open")
    elif event.status in _INVALID:
        _open(
            ctx,
            service.Failure(
                provider="whop",
                company_id=company,
                membership_id=event.membership_id,
                user_id=event.user_id,
                email=None,
                amount=event.amount,
                currency=event.currency,
                payment_id=None,
                message=f"membership {event.status}",
                occurred_at=event.updated_at or event.occurred_at,
                cause=cause,
            ),
        )


def stripe_invoice_failed(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    subscription = _ref(obj.get("subscription"))
    if subscription is None:
        return  # a one-off invoice: nothing renews, nothing to recover
    customer = _ref(obj.get("customer"))
    tenant = tenants_repo.find_by_stripe(
        ctx.session, subscription_id=subscription, customer_id=customer
    )
    if tenant is not None:
        ctx.tenant_id = tenant.id
    email = obj.get("customer_email") or (tenant.email if tenant is not None else None)
    _open(
        ctx,
        service.Failure(
            provider="stripe",
            company_id=OWN_COMPANY,
            membership_id=subscription,
            user_id=customer,
            email=email[:255] if isinstance(email, str) else None,
            amount=_int(obj.get("amount_due")),
            currency=_ref(obj.get("currency")),
            payment_id=_ref(obj.get("id")),
            message="invoice payment failed",
            occurred_at=_created(ctx),
            cause=f"event:{ctx.event.id}",
            phone=tenant.phone if tenant is not None else None,
        ),
    )


def stripe_invoice_paid(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    subscription = _ref(obj.get("subscription"))
    if subscription is None:
        return
    case = service.recover(
        ctx.session,
        "stripe",
        subscription,
        _int(obj.get("amount_paid")),
        _created(ctx),
        f"event:{ctx.event.id}",
        ctx.runtime.clock.now(),
        payment_id=_ref(obj.get("id")),
    )
    if case is not None:
        ctx.notes.append(f"case {case.id} recovered")


def _open(ctx: HandlerContext, failure: service.Failure) -> None:
    settings = repo.settings(ctx.session, failure.company_id)
    p = service.policy(settings, failure.provider)
    case = service.open_for_failure(ctx.session, ctx.runtime.clock.now(), failure, p)
    ctx.notes.append(f"case {case.id} opened" if case else "a case is open or payment is newer")


def _created(ctx: HandlerContext) -> datetime:
    created = ctx.payload.get("created")
    if isinstance(created, int):
        return datetime.fromtimestamp(created, UTC)
    return ctx.runtime.clock.now()


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


ON = (
    On("whop", ("payment.failed", "payment.succeeded"), whop_payment),
    On("whop", ("membership.updated", "membership.deactivated"), whop_membership),
    On("stripe", ("invoice.payment_failed",), stripe_invoice_failed),
    On("stripe", ("invoice.paid", "invoice.payment_succeeded"), stripe_invoice_paid),
)
