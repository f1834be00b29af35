"""One trial per identity: normalized email, E.164 phone, card fingerprint, and optionally the
email domain. A key is claimed when a subscription starts trialing; a tenant whose key is already
claimed by another tenant checks out without a trial, and the reason is on its timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from steward.events.bus import DomainEventBus
from steward.kit.phone import mask_phone
from steward.product import Product
from steward.subscriptions import repository as repo
from steward.tenants import service as tenants
from steward.tenants.models import Tenant

PUBLIC_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
        "proton.me",
        "protonmail.com",
        "aol.com",
    }
)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def identity_keys(product: Product, tenant: Tenant) -> list[str]:
    email = tenant.email.strip().lower()
    local, _, domain = email.partition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
    keys = []
    if "email" in product.trial_identity:
        keys.append(f"email:{local}@{domain}")
    if "phone" in product.trial_identity and tenant.phone:
        keys.append(f"phone:{tenant.phone}")
    if "email_domain" in product.trial_identity and domain not in PUBLIC_DOMAINS:
        keys.append(f"domain:{domain}")
    return keys


def refusal(session: Session, product: Product, tenant: Tenant) -> str | None:
    """Why this tenant gets no trial, or None when it may have one."""
    taken = {
        k: t
        for k, t in repo.claims(session, identity_keys(product, tenant)).items()
        if t != tenant.id
    }
    if not taken:
        return None
    key = min(taken)
    kind, _, value = key.partition(":")
    shown = mask_phone(value) if kind == "phone" else value
    # The tenant sees this: it names its own identity, never the other tenant.
    return f"trial not offered: {kind} {shown} already had a trial"


def claim(session: Session, product: Product, tenant: Tenant, at: datetime) -> None:
    repo.claim(session, identity_keys(product, tenant), tenant.id, at)


def card_seen(
    session: Session,
    bus: DomainEventBus,
    tenant: Tenant,
    fingerprint: str,
    at: datetime,
    event_id: int | None,
) -> None:
    key = f"card:{fingerprint}"
    owner = repo.claims(session, [key]).get(key)
    if owner is None:
        if tenant.billing_status.value == "trialing":
            repo.claim(session, [key], tenant.id, at)
        return
    if owner != tenant.id:
        tenants.note(
            session,
            tenant,
            at,
            "trial_reuse",
            f"this card already had a trial with tenant {owner}",
            event_id,
        )
        bus.publish(
            session,
            "trial.reuse_detected",
            tenant_id=tenant.id,
            data={"other_tenant": owner, "key": "card"},
            cause_event_id=event_id,
        )
