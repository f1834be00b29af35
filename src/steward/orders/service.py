"""Order use cases: place (a checkout of its own), paid (its own provisioning run), cancel (undo
that run only). Services take the caller's session; the checkout call runs between two short
transactions so no lock is held while Stripe answers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from steward.customers import service as customers
from steward.errors import ConfigError, Conflict
from steward.kit.ids import new_id
from steward.orders import repository as repo
from steward.orders.models import Order, OrderState
from steward.provisioning import repository as provisioning_repo
from steward.provisioning import service as provisioning
from steward.runtime import Runtime
from steward.signup.spec import SignupSpec
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants


@dataclass(frozen=True)
class OrderView:
    id: str
    plan: str
    state: str
    provisioning: str  # the run's state, "none" before payment
    checkout_url: str | None
    reason: str | None


class EmailNotVerified(Conflict):
    """Confirm your email first: open the link we emailed you."""

    code = "email_not_verified"


def _must_verify(runtime: Runtime) -> bool:
    try:
        return not runtime.service(SignupSpec).provision_unverified
    except ConfigError:  # no public signup: tenants are made by operators
        return False


def place(runtime: Runtime, tenant_id: str, plan_key: str) -> Order:
    plan = runtime.product.plan(plan_key)
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        tenant = tenants_repo.get(session, tenant_id)
        if _must_verify(runtime) and not customers.is_verified(session, tenant_id):
            raise EmailNotVerified()
        order = repo.add(
            session,
            Order(
                id=new_id("ord"),
                tenant_id=tenant_id,
                plan=plan.key,
                state=OrderState.CHECKOUT_OPEN,
                created_at=now,
                updated_at=now,
            ),
        )
        order_id, email, customer = order.id, tenant.email, tenant.stripe_customer_id
    base = runtime.settings.public_url.rstrip("/")
    created = runtime.stripe.create_order_checkout(
        order_id=order_id,
        tenant_id=tenant_id,
        name=plan.name,
        amount=plan.price,
        currency=plan.currency,
        success_url=f"{base}/account",
        cancel_url=f"{base}/account",
        idempotency_key=f"order-checkout:{order_id}",
        customer_id=customer,
        email=email,
    )
    with runtime.db.transaction() as session:
        order = repo.get_own(session, tenant_id, order_id)
        order.checkout_session_id, order.checkout_url = created.id, created.url
        return order


def paid(session: Session, runtime: Runtime, order_id: str, event_id: int | None) -> str | None:
    """Mark the order paid and open its run; the run's workflow id, or None when already paid."""
    order = repo.find(session, order_id)
    if order is None or order.state is not OrderState.CHECKOUT_OPEN:
        return None
    now = runtime.clock.now()
    run, new = provisioning.open_order(session, runtime, order.tenant_id, order.plan, order.id)
    repo.move(session, order.id, OrderState.PAID, now, run_key=run.key, reason="paid")
    tenant = tenants_repo.get(session, order.tenant_id)
    tenants.note(session, tenant, now, "order", f"order {order.id} ({order.plan}) paid", event_id)
    if new:
        provisioning.enqueue(session, runtime, run)
    return run.workflow_id


def cancel(session: Session, runtime: Runtime, tenant_id: str, order_id: str) -> Order:
    """Cancel one order: its server is deprovisioned, the customer's others are untouched."""
    order = repo.get_own(session, tenant_id, order_id)
    if order.state is OrderState.CANCELED:
        return order
    now = runtime.clock.now()
    if order.run_key:
        run, new = provisioning.open_undo(session, runtime, order.run_key)
        if new:
            provisioning.enqueue(session, runtime, run)
    repo.move(session, order.id, OrderState.CANCELED, now, reason="canceled by the customer")
    tenants.note(
        session, tenants_repo.get(session, tenant_id), now, "order", f"order {order.id} canceled"
    )
    session.refresh(order)
    return order


def views(session: Session, tenant_id: str) -> list[OrderView]:
    out = []
    for order in repo.of_tenant(session, tenant_id):
        state = "none"
        if order.run_key:
            undo = provisioning_repo.by_key(session, f"undo:{order.run_key}")
            run = undo or provisioning_repo.by_key(session, order.run_key)
            if run is not None:
                state = f"{'deprovision ' if undo else ''}{run.state.value}"
        open_url = order.checkout_url if order.state is OrderState.CHECKOUT_OPEN else None
        out.append(
            OrderView(order.id, order.plan, order.state.value, state, open_url, order.reason)
        )
    return out
