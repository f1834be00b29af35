"""Inbox handlers: the provider's "call ended" becomes usage; Stripe's payment webhooks credit
wallets (the only way money enters one) and close auto-recharge attempts."""

from __future__ import annotations

from steward.errors import PermanentEventError
from steward.inbox.handlers import HandlerContext
from steward.module import On
from steward.tenants import repository as tenants_repo
from steward.wallets import meters, recharge, service, usage
from steward.wallets import repository as repo
from steward.wallets.models import EntryKind, Wallet


def call_ended(ctx: HandlerContext) -> None:
    call = ctx.payload.get("call")
    if not isinstance(call, dict) or not isinstance(call.get("id"), str):
        raise PermanentEventError("call.ended without a call object and id")
    meta = call.get("metadata") or {}
    tenant_id = meta.get("tenant_id")
    if not tenant_id or tenants_repo.find(ctx.session, tenant_id) is None:
        raise PermanentEventError(f"call {call['id']} names no known tenant ({tenant_id!r})")
    ctx.tenant_id = tenant_id
    meter = meters.call_meter(ctx.runtime.product, meta.get("meter"))
    if meter is None:
        raise PermanentEventError("the product declares no meter that prices calls")
    seconds = call.get("durationSeconds")
    if not isinstance(seconds, int) or seconds < 0:
        raise PermanentEventError(f"call {call['id']} has no duration")
    result = usage.record(
        ctx.runtime,
        ctx.session,
        tenant_id=tenant_id,
        meter=meter,
        external_id=call["id"],
        quantity=seconds,
        source="webhook",
        cause_event_id=ctx.event.id,
    )
    ctx.notes.append(f"usage {result.usage_id} {result.status.value} {result.amount}")


def payment_succeeded(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    meta = obj.get("metadata") or {}
    if not meta.get("wallet_id"):
        return  # not a wallet payment
    _credit(
        ctx, meta["wallet_id"], int(obj.get("amount_received") or obj["amount"]), str(obj["id"])
    )
    if meta.get("recharge_id"):
        recharge.succeeded(ctx.runtime, ctx.session, int(meta["recharge_id"]), str(obj["id"]))


def payment_failed(ctx: HandlerContext) -> None:
    meta = ctx.data_object.get("metadata") or {}
    if meta.get("recharge_id"):
        error = ctx.data_object.get("last_payment_error") or {}
        recharge.declined(
            ctx.runtime,
            ctx.session,
            int(meta["recharge_id"]),
            f"declined: {error.get('code') or 'unknown'}",
        )


def checkout_completed(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    meta = obj.get("metadata") or {}
    if obj.get("mode") != "payment" or not meta.get("wallet_id"):
        return  # a subscription checkout: the subscriptions domain's
    if obj.get("payment_status") != "paid":
        raise PermanentEventError(f"top-up checkout {obj.get('id')} is not paid")
    wallet = _credit(
        ctx,
        meta["wallet_id"],
        int(obj["amount_total"]),
        str(obj.get("payment_intent") or obj["id"]),
    )
    if wallet is not None and not wallet.stripe_customer_id and obj.get("customer"):
        wallet.stripe_customer_id = str(obj["customer"])


def _credit(ctx: HandlerContext, wallet_id: str, amount: int, payment: str) -> Wallet:
    wallet = repo.get_wallet(ctx.session, wallet_id)
    ctx.tenant_id = wallet.tenant_id
    posting = service.credit(
        ctx.runtime,
        ctx.session,
        wallet_id,
        amount=amount,
        key=f"payment:{payment}",
        kind=EntryKind.TOPUP,
        description=f"top-up {payment}",
    )
    ctx.notes.append("credit replayed" if posting.replayed else f"credited {amount}")
    return wallet


ON = (
    On("vapi", ("call.ended",), call_ended),
    On("stripe", ("payment_intent.succeeded",), payment_succeeded),
    On("stripe", ("payment_intent.payment_failed",), payment_failed),
    On("stripe", ("checkout.session.completed",), checkout_completed),
)
