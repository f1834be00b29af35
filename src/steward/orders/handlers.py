"""Inbound: an order's checkout completed (a one-off payment naming ``metadata.order_id``)."""

from __future__ import annotations

from steward.errors import PermanentEventError
from steward.inbox.handlers import HandlerContext
from steward.module import On
from steward.orders import service


def checkout_completed(ctx: HandlerContext) -> None:
    obj = ctx.data_object
    meta = obj.get("metadata") or {}
    if obj.get("mode") != "payment" or not meta.get("order_id"):
        return  # a subscription or a wallet top-up: not an order
    if obj.get("payment_status") != "paid":
        raise PermanentEventError(f"order checkout {obj.get('id')} is not paid")
    ctx.tenant_id = str(meta.get("tenant_id") or "") or None
    service.paid(ctx.session, ctx.runtime, str(meta["order_id"]), ctx.event.id)


ON = (On("stripe", ("checkout.session.completed",), checkout_completed),)
