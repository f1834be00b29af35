"""Operator accounts and sessions: scrypt password hashes, server-side sessions whose cookie is
HttpOnly, SameSite=Strict and expiring, a per-session CSRF token, and the dependency that lets
the admin API take either the bearer token or an operator session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Header, Request

from steward.api.deps import StewardDep
from steward.bootstrap import Steward
from steward.cockpit.models import Operator, OperatorSession
from steward.errors import Conflict, InvalidInput, Unauthorized
from steward.kit.ids import new_id

COOKIE = "steward_session"
CSRF_HEADER = "X-CSRF-Token"
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encoded = f"{base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    return f"scrypt${_N}${_R}${_P}${encoded}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Login:
    email: str
    token: str  # the cookie value
    csrf: str


def create_operator(steward: Steward, email: str, password: str | None = None) -> str:
    """Create an operator; returns the password (a generated one-time token if none given)."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput("email: not an email address", field="email")
    password = password or secrets.token_urlsafe(18)
    if len(password) < 10:
        raise InvalidInput("password: at least 10 characters", field="password")
    with steward.db.transaction() as session:
        exists = session.execute(sa.select(Operator.id).where(Operator.email == email)).scalar()
        if exists:
            raise Conflict(f"operator {email} already exists")
        session.add(
            Operator(
                id=new_id("op"),
                email=email,
                password_hash=hash_password(password),
                created_at=steward.clock.now(),
            )
        )
    return password


def login(steward: Steward, email: str, password: str) -> Login:
    email = email.strip().lower()
    now = steward.clock.now()
    with steward.db.transaction() as session:
        operator = session.execute(
            sa.select(Operator).where(Operator.email == email)
        ).scalar_one_or_none()
        # Hash even for an unknown email, so timing does not reveal which emails exist.
        stored = operator.password_hash if operator else hash_password("x" * 12)
        if not check_password(password, stored) or operator is None:
            raise Unauthorized("wrong email or password")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        session.execute(sa.delete(OperatorSession).where(OperatorSession.expires_at < now))
        session.add(
            OperatorSession(
                token_hash=_digest(token),
                operator_id=operator.id,
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(seconds=steward.settings.operator_session_seconds),
            )
        )
    return Login(email, token, csrf)


def session_of(steward: Steward, token: str | None) -> Login | None:
    if not token:
        return None
    with steward.db.read() as session:
        row = session.execute(
            sa.select(Operator.email, OperatorSession.csrf)
            .join(Operator, Operator.id == OperatorSession.operator_id)
            .where(
                OperatorSession.token_hash == _digest(token),
                OperatorSession.expires_at > steward.clock.now(),
            )
        ).first()
    return Login(row[0], token, row[1]) if row else None


def logout(steward: Steward, token: str | None) -> None:
    if token:
        with steward.db.transaction() as session:
            session.execute(
                sa.delete(OperatorSession).where(OperatorSession.token_hash == _digest(token))
            )


def require_operator(
    request: Request,
    steward: StewardDep,
    authorization: Annotated[str | None, Header()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> str:
    """The actor: ``admin`` for the bearer token, the operator's email for a session. A session
    must echo its CSRF token in ``X-CSRF-Token`` on anything but a read."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token:
        if hmac.compare_digest(token.encode(), steward.settings.admin_token.encode()):
            return "admin"
        raise Unauthorized("the admin token is not valid")
    current = session_of(steward, request.cookies.get(COOKIE))
    if current is None:
        raise Unauthorized("send Authorization: Bearer <STEWARD_ADMIN_TOKEN> or log in")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not hmac.compare_digest(
        (x_csrf_token or "").encode(), current.csrf.encode()
    ):
        raise Unauthorized("missing or wrong X-CSRF-Token")
    return current.email


Actor = Annotated[str, Depends(require_operator)]
