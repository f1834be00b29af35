"""Which tenant a paid checkout is for: the one it names, or for a Payment Link (no reference)
the one tenant whose E.164 phone it carries; and one-off checkouts nobody applies, which fail so
that every paid checkout is accounted for."""

from __future__ import annotations

from typing import Any

from steward.errors import PermanentEventError, StewardError
from steward.inbox.handlers import HandlerContext
from steward.kit.phone import mask_phone, to_e164
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants
from steward.tenants.models import Tenant

_UNNAMED = "checkout session has neither client_reference_id nor metadata.tenant_id"


def checkout_tenant(ctx: HandlerContext, obj: dict[str, Any], metadata: dict[str, Any]) -> Tenant:
    """The tenant a checkout names, or, for a Payment Link (no reference), the one tenant whose
    phone is ``metadata.phone_number`` or ``customer_details.phone``."""
    reference = obj.get("client_reference_id") or metadata.get("tenant_id")
    if reference:
        tenant = tenants_repo.find(ctx.session, reference, for_update=True)
        if tenant is None:
            raise PermanentEventError(
                f"checkout session names tenant {reference}, which does not exist"
            )
        return tenant
    raw = metadata.get("phone_number") or (obj.get("customer_details") or {}).get("phone")
    if not raw:
        raise PermanentEventError(
            f"{_UNNAMED}, nor a phone (metadata.phone_number, customer_details.phone), "
            "so no tenant can be activated"
        )
    try:
        phone = to_e164(str(raw), ctx.runtime.product.default_region)
    except StewardError as exc:
        raise PermanentEventError(f"{_UNNAMED}, and its phone cannot be read: {exc}") from exc
    found = tenants_repo.by_phone(ctx.session, phone)
    if len(found) != 1:
        raise PermanentEventError(
            f"{_UNNAMED}, and its phone {mask_phone(phone)} matches "
            + ("no tenant" if not found else "more than one tenant")
            + "; activate the right tenant by hand (POST /admin/api/tenants/{id}/activate) "
            "or fix the phone and replay this event"
        )
    ctx.notes.append("tenant matched by phone")
    return found[0]


def one_off(ctx: HandlerContext, obj: dict[str, Any], metadata: dict[str, Any]) -> None:
    """A paid one-off checkout is a wallet top-up (the wallets handler applies it) or it names a
    tenant; one that does neither would be money nobody accounts for, so it fails, visibly."""
    if metadata.get("wallet_id") or obj.get("payment_status") != "paid":
        return
    reference = obj.get("client_reference_id") or metadata.get("tenant_id")
    tenant = tenants_repo.find(ctx.session, reference) if reference else None
    if tenant is None:
        raise PermanentEventError(
            f"paid one-off checkout {obj.get('id')} is not a wallet top-up and names "
            + (f"tenant {reference}, which does not exist" if reference else "no tenant")
            + "; nothing applied it"
        )
    ctx.tenant_id = tenant.id
    tenants.note(
        ctx.session, tenant, ctx.runtime.clock.now(), "one_off_payment",
        f"one-off checkout {obj.get('id')} paid {obj.get('amount_total')} {obj.get('currency')}",
        ctx.event.id,
    )  # fmt: skip
