"""Magic links and customer sessions.

A link's token is 32 random bytes, emailed once and stored only as its SHA-256; it is valid for
``magic_link_ttl_seconds`` and redeemed once, even under concurrent clicks (a guarded UPDATE).
Asking for a sign-in link answers the same whether the email is known or not: the email is sent
off the request, by a thread, so the answer's timing does not depend on it."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import structlog
from sqlalchemy.orm import Session

from steward.config import Settings
from steward.customers import repository as repo
from steward.customers.models import CustomerSession, LinkPurpose, MagicLink
from steward.errors import Unauthorized
from steward.kit.clock import Clock
from steward.providers.email import EmailMessage
from steward.runtime import Runtime
from steward.tenants import repository as tenants_repo
from steward.tenants import service as tenants

log = structlog.get_logger("steward.customers")

COOKIE = "steward_customer"
MAX_TENANTS_PER_LINK_REQUEST = 5


class LinkRuntime(Protocol):
    """What making a link needs (a Runtime, or a provisioning step's runtime)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...


class InvalidLink(Unauthorized):
    """This sign-in link is not valid: it was used already, has expired, or never existed. Ask
    for a new one."""

    code = "invalid_link"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Redeemed:
    tenant_id: str
    purpose: LinkPurpose
    session_token: str
    csrf: str


@dataclass(frozen=True)
class Customer:
    tenant_id: str
    csrf: str


def new_link(
    session: Session, runtime: LinkRuntime, tenant_id: str, email: str, purpose: LinkPurpose
) -> str:
    """Record a link; returns its token (the only copy: email it, never store it)."""
    token = secrets.token_urlsafe(32)
    now = runtime.clock.now()
    repo.add_link(
        session,
        MagicLink(
            token_hash=digest(token),
            tenant_id=tenant_id,
            email=email,
            purpose=purpose,
            created_at=now,
            expires_at=now + timedelta(seconds=runtime.settings.magic_link_ttl_seconds),
        ),
    )
    return token


def link_url(runtime: LinkRuntime, token: str) -> str:
    return f"{runtime.settings.public_url.rstrip('/')}/account/link/{token}"


def email_link(runtime: Runtime, to: str, subject: str, intro: str, token: str) -> EmailMessage:
    minutes = runtime.settings.magic_link_ttl_seconds // 60
    return EmailMessage(
        to=to,
        subject=subject,
        text=(
            f"{intro}\n\n{link_url(runtime, token)}\n\n"
            f"The link works once, for {minutes} minutes. If you did not ask for it, ignore it.\n"
        ),
    )


def send_later(runtime: Runtime, messages: list[tuple[EmailMessage, str]]) -> None:
    """Send off the request thread (same answer time for known and unknown emails)."""

    def run() -> None:
        for message, key in messages:
            try:
                runtime.mailer.send(message, idempotency_key=key)
            except Exception as exc:  # the customer asks again; nothing else depends on it
                log.error("customers.link_mail_failed", error=type(exc).__name__)

    threading.Thread(target=run, daemon=True, name="magic-link-mail").start()


def request_sign_in(runtime: Runtime, email: str) -> None:
    """Email a sign-in link for each tenant this email owns; nothing for an unknown email."""
    address = email.strip().lower()
    messages: list[tuple[EmailMessage, str]] = []
    with runtime.db.transaction() as session:
        owned = repo.tenants_of(session, address, MAX_TENANTS_PER_LINK_REQUEST)
        for tenant in owned:
            token = new_link(session, runtime, tenant.id, tenant.email, LinkPurpose.SIGN_IN)
            messages.append(
                (
                    email_link(
                        runtime,
                        tenant.email,
                        f"Sign in to {tenant.name} on {runtime.product.name}",
                        f"Hello,\n\nSign in to {tenant.name} with this link:",
                        token,
                    ),
                    f"signin.{digest(token)[:32]}",
                )
            )
    send_later(runtime, messages)


EMAIL_VERIFIED = "tenant.email_verified"


def redeem(runtime: Runtime, token: str) -> Redeemed:
    """Redeem a link once: verify the email (a verify link: ``tenant.email_verified`` is
    published in the same commit), and open a session."""
    now = runtime.clock.now()
    session_token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with runtime.db.transaction() as session:
        link = repo.redeem_link(session, digest(token), now)
        if link is None:
            raise InvalidLink()
        tenant = tenants_repo.get(session, link.tenant_id)
        if link.purpose is LinkPurpose.VERIFY:
            tenants.note(session, tenant, now, "email_verified", f"{link.email} verified by link")
            runtime.bus.publish(
                session, EMAIL_VERIFIED, tenant_id=link.tenant_id, data={"email": link.email}
            )
        repo.open_session(
            session,
            CustomerSession(
                token_hash=digest(session_token),
                tenant_id=link.tenant_id,
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(seconds=runtime.settings.customer_session_seconds),
            ),
        )
        return Redeemed(link.tenant_id, link.purpose, session_token, csrf)


def session_of(runtime: Runtime, token: str | None) -> Customer | None:
    if not token:
        return None
    with runtime.db.read() as session:
        row = repo.live_session(session, digest(token), runtime.clock.now())
        return Customer(row.tenant_id, row.csrf) if row else None


def is_verified(session: Session, tenant_id: str) -> bool:
    return repo.verified(session, tenant_id)


def logout(runtime: Runtime, token: str | None) -> None:
    if token:
        with runtime.db.transaction() as session:
            repo.revoke_session(session, digest(token), runtime.clock.now())
