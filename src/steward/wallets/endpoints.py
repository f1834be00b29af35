"""The wallets API: the provider's webhook, the tenant's wallet and usage, and the admin API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.concurrency import run_in_threadpool

from steward import metrics
from steward.api.deps import Actor, CurrentTenant, RuntimeDep
from steward.errors import BadWebhook, NotFound
from steward.inbox.schemas import WebhookAck
from steward.inbox.service import Inbox, parse_event
from steward.providers.vapi import signing
from steward.tenants import repository as tenants_repo
from steward.wallets import meters, monitoring, service, usage, views, workflows
from steward.wallets import reconcile_repository as runs
from steward.wallets import repository as repo
from steward.wallets.models import EntryKind
from steward.wallets.schemas import (
    AdjustIn,
    ApiKeyOut,
    AutoRechargeIn,
    PostingOut,
    RunIn,
    RunOut,
    TopUpIn,
    TopUpOut,
    UsageIn,
    UsageOut,
    WalletOut,
    WalletsOut,
)

webhooks = APIRouter(tags=["webhooks"])
tenant_api = APIRouter(prefix="/api/v1", tags=["tenant: wallet"])
admin = APIRouter(prefix="/admin/api", tags=["admin: wallets"])


@webhooks.post("/webhooks/vapi", response_model=WebhookAck)
async def vapi_webhook(
    request: Request,
    runtime: RuntimeDep,
    x_vapi_signature: Annotated[str | None, Header()] = None,
) -> WebhookAck:
    """Verify the HMAC signature, store once, answer; the handler debits after the answer."""
    body = await request.body()
    settings = runtime.settings
    try:
        signing.verify(
            body, x_vapi_signature, settings.vapi_webhook_secret, settings.vapi_webhook_tolerance
        )
        payload = parse_event(body)
    except BadWebhook as exc:
        metrics.EVENTS_REJECTED.labels(source="vapi", code=exc.code).inc()
        raise
    result = await run_in_threadpool(runtime.service(Inbox).ingest, "vapi", body, payload)
    return WebhookAck(received=True, duplicate=result.duplicate)


# -- tenant API -----------------------------------------------------------------------------------
@tenant_api.get("/wallet", response_model=WalletOut)
def my_wallet(runtime: RuntimeDep, claims: CurrentTenant, currency: str | None = None) -> WalletOut:
    with runtime.db.read() as session:
        wallets = repo.tenant_wallets(session, claims.tenant_id)
        chosen = [w for w in wallets if currency is None or w.currency == currency.lower()]
        if not chosen:
            raise NotFound("no wallet yet: it opens with the first top-up or usage")
        return views.wallet_view(session, chosen[0])


@tenant_api.post("/usage", response_model=UsageOut, responses={402: {"description": "refused"}})
def post_usage(
    body: UsageIn, runtime: RuntimeDep, authorization: Annotated[str | None, Header()] = None
) -> UsageOut:
    """Report usage with the tenant's API key (``Authorization: Bearer swk_...``)."""
    scheme, _, key = (authorization or "").partition(" ")
    meter = meters.meter(runtime.product, body.meter)
    with runtime.db.transaction() as session:
        tenant_id = service.tenant_for_api_key(session, key if scheme.lower() == "bearer" else "")
        result = usage.record(
            runtime,
            session,
            tenant_id=tenant_id,
            meter=meter,
            external_id=body.id,
            quantity=body.quantity,
            source="api",
            occurred_at=body.occurred_at,
        )
    if result.posting is not None and result.posting.refused:
        refusal = result.posting.refusal()
        refusal.details["usage_id"] = result.usage_id
        raise refusal  # the usage is kept, marked unpaid
    balance = result.posting.balance if result.posting else None
    return UsageOut(
        usage_id=result.usage_id,
        status=result.status.value,
        amount=result.amount,
        duplicate=result.duplicate,
        balance=balance,
    )


# -- admin API ------------------------------------------------------------------------------------
@admin.get("/wallets/{tenant_id}", response_model=WalletsOut)
def tenant_wallets(tenant_id: str, runtime: RuntimeDep, _admin: Actor) -> WalletsOut:
    with runtime.db.read() as session:
        wallets = repo.tenant_wallets(session, tenant_id)
        items = [views.wallet_view(session, w, entries=50, admin=True) for w in wallets]
    return WalletsOut(tenant_id=tenant_id, wallets=items)


@admin.post("/wallets/{tenant_id}/adjust", response_model=PostingOut)
def adjust(tenant_id: str, body: AdjustIn, runtime: RuntimeDep, actor: Actor) -> PostingOut:
    """A signed, audited adjustment; a debit past the debt limit is refused (402), stored."""
    with runtime.db.transaction() as session:
        posting = service.adjust(
            runtime,
            session,
            tenant_id,
            amount=body.amount,
            currency=body.currency,
            reason=body.reason,
            key=body.idempotency_key,
            actor=actor,
            kind=EntryKind(body.kind),
        )
    if posting.refused:
        raise posting.refusal()
    return PostingOut(
        entry_id=posting.entry_id,
        wallet_id=posting.wallet_id,
        outcome=posting.outcome.value,
        amount=posting.amount,
        balance=posting.balance,
        debt_limit=posting.debt_limit,
        replayed=posting.replayed,
    )


@admin.put("/wallets/{tenant_id}/auto-recharge", response_model=WalletOut)
def auto_recharge(
    tenant_id: str, body: AutoRechargeIn, runtime: RuntimeDep, actor: Actor
) -> WalletOut:
    settings = service.AutoRecharge(
        threshold=body.threshold,
        amount=body.amount,
        stripe_customer_id=body.stripe_customer_id,
        stripe_payment_method=body.stripe_payment_method,
    )
    with runtime.db.transaction() as session:
        wallet = service.set_auto_recharge(
            runtime, session, tenant_id, body.currency, settings, actor
        )
        return views.wallet_view(session, wallet, admin=True)


@admin.post("/wallets/{tenant_id}/topup", response_model=TopUpOut)
def top_up(tenant_id: str, body: TopUpIn, runtime: RuntimeDep, _admin: Actor) -> TopUpOut:
    """Open a Stripe checkout (mode=payment); its paid webhook credits the wallet, once."""

    with runtime.db.transaction() as session:
        wallet = service.wallet_for(runtime, session, tenant_id, body.currency)
        email = tenants_repo.get(session, tenant_id).email
        wallet_id, customer = wallet.id, wallet.stripe_customer_id
    base = runtime.settings.public_url.rstrip("/")
    session_ = runtime.stripe.create_topup_checkout(
        wallet_id=wallet_id,
        tenant_id=tenant_id,
        amount=body.amount,
        currency=body.currency.lower(),
        success_url=f"{base}/topup/done",
        cancel_url=f"{base}/topup/cancelled",
        idempotency_key=f"topup:{wallet_id}:{body.idempotency_key}",
        customer_id=customer,
        email=None if customer else email,
    )
    return TopUpOut(checkout_session_id=session_.id, url=session_.url)


@admin.post("/tenants/{tenant_id}/api-keys", response_model=ApiKeyOut, status_code=201)
def new_api_key(tenant_id: str, runtime: RuntimeDep, actor: Actor) -> ApiKeyOut:
    with runtime.db.transaction() as session:
        issued = service.issue_api_key(runtime, session, tenant_id, actor)
    return ApiKeyOut(id=issued.id, tenant_id=issued.tenant_id, key=issued.key)


@admin.post("/reconciliations", response_model=RunOut, status_code=202)
def start_reconciliation(body: RunIn, runtime: RuntimeDep, _admin: Actor) -> RunOut:
    run_id = workflows.open_run(runtime, body.provider, body.window_from, body.window_to)
    workflows.start_run(runtime, run_id)
    return get_reconciliation(run_id, runtime, _admin)


@admin.get("/reconciliations/{run_id}", response_model=RunOut)
def get_reconciliation(run_id: str, runtime: RuntimeDep, _admin: Actor) -> RunOut:
    with runtime.db.read() as session:
        return RunOut.model_validate(runs.get(session, run_id))


@admin.get("/billing/figures")
def billing_figures(runtime: RuntimeDep, _admin: Actor) -> dict[str, Any]:
    """Billing success rate and reconciliation gap rate, for the cockpit."""
    return dict(monitoring.figures(runtime).__dict__)
