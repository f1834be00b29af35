"""FastAPI dependencies: the runtime, who the caller is (an operator or a tenant), and nothing
else. Every admin endpoint of every domain takes ``Actor``; every tenant endpoint
``CurrentTenant``."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from steward.errors import Unauthorized
from steward.operators.service import COOKIE, session_of
from steward.runtime import Runtime
from steward.tokens.service import InvalidToken, TenantClaims


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def require_operator(
    request: Request,
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Header()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> str:
    """The actor: ``admin`` for ``Authorization: Bearer <STEWARD_ADMIN_TOKEN>``, the operator's
    email for a cockpit session, which must echo its CSRF token in ``X-CSRF-Token`` on anything
    but a read."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token:
        if hmac.compare_digest(token.encode(), runtime.settings.admin_token.encode()):
            return "admin"
        raise Unauthorized("the admin token is not valid")
    current = session_of(runtime, request.cookies.get(COOKIE))
    if current is None:
        raise Unauthorized("send Authorization: Bearer <STEWARD_ADMIN_TOKEN> or log in")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not hmac.compare_digest(
        (x_csrf_token or "").encode(), current.csrf.encode()
    ):
        raise Unauthorized("missing or wrong X-CSRF-Token")
    return current.email


Actor = Annotated[str, Depends(require_operator)]


def require_tenant(
    runtime: RuntimeDep, authorization: Annotated[str | None, Header()] = None
) -> TenantClaims:
    """The tenant API takes ``Authorization: Bearer <tenant token>``; no anonymous fallback."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("send Authorization: Bearer <tenant token>")
    return runtime.tokens.verify(token)


CurrentTenant = Annotated[TenantClaims, Depends(require_tenant)]
