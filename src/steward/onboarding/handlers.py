"""Inbound events onboarding listens to. Twilio's are parsed in ``sms``; a paid checkout (after
subscriptions has applied it, in the same transaction) tells the conversation it is paid."""

from __future__ import annotations

from steward.inbox.handlers import HandlerContext
from steward.module import On
from steward.onboarding import sms
from steward.onboarding.service import Onboarding
from steward.tenants import repository as tenants_repo
from steward.tenants.models import PaymentStatus

PAID = "paid"  # the signal S5 waits for; also set by workflows.on_activated


def checkout_paid(ctx: HandlerContext) -> None:
    if ctx.tenant_id is None:
        return  # not a subscription checkout subscriptions applied (a top-up, say)
    tenant = tenants_repo.get(ctx.session, ctx.tenant_id)
    if tenant.payment_status is not PaymentStatus.ACTIVE:
        return
    ctx.runtime.service(Onboarding).signal(
        ctx.session,
        tenant.id,
        PAID,
        str(ctx.data_object.get("id") or ctx.event.external_id),
        f"event:{ctx.event.id}",
    )


ON = (
    On("twilio", ("call.received",), sms.missed_call),
    On("twilio", ("sms.received",), sms.text_received),
    On("twilio", ("call.status",), sms.call_status),
    On("stripe", ("checkout.session.completed",), checkout_paid),
)
