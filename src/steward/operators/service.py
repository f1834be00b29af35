"""Operator accounts and sessions: scrypt password hashes, server-side sessions whose cookie is
HttpOnly, SameSite=Strict and expiring, with a per-session CSRF token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from steward.errors import Conflict, InvalidInput, Unauthorized
from steward.kit.ids import new_id
from steward.operators import repository as repo
from steward.operators.models import Operator, OperatorSession
from steward.runtime import Runtime

COOKIE = "steward_session"
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


_UNKNOWN_HASH = hash_password(secrets.token_urlsafe(18))  # checked for emails no operator has


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Login:
    email: str
    token: str  # the cookie value
    csrf: str


def create_operator(runtime: Runtime, email: str, password: str | None = None) -> str:
    """Create an operator; returns the password (a generated one-time token if none given)."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput("email: not an email address", field="email")
    password = password or secrets.token_urlsafe(18)
    if len(password) < 10:
        raise InvalidInput("password: at least 10 characters", field="password")
    with runtime.db.transaction() as session:
        if repo.by_email(session, email) is not None:
            raise Conflict(f"operator {email} already exists")
        repo.add(
            session,
            Operator(
                id=new_id("op"),
                email=email,
                password_hash=hash_password(password),
                created_at=runtime.clock.now(),
            ),
        )
    return password


def login(runtime: Runtime, email: str, password: str) -> Login:
    email = email.strip().lower()
    now = runtime.clock.now()
    with runtime.db.transaction() as session:
        operator = repo.by_email(session, email)
        # One scrypt either way, so timing does not reveal which emails exist.
        stored = operator.password_hash if operator else _UNKNOWN_HASH
        if not check_password(password, stored) or operator is None:
            raise Unauthorized("wrong email or password")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        repo.open_session(
            session,
            OperatorSession(
                token_hash=_digest(token),
                operator_id=operator.id,
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(seconds=runtime.settings.operator_session_seconds),
            ),
            now,
        )
    return Login(email, token, csrf)


def session_of(runtime: Runtime, token: str | None) -> Login | None:
    if not token:
        return None
    with runtime.db.read() as session:
        found = repo.live_session(session, _digest(token), runtime.clock.now())
    return Login(found[0], token, found[1]) if found else None


def logout(runtime: Runtime, token: str | None) -> None:
    if token:
        with runtime.db.transaction() as session:
            repo.close_session(session, _digest(token))
