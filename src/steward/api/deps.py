"""FastAPI dependencies: the running Steward, and admin authentication."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from steward.bootstrap import Steward
from steward.errors import Unauthorized
from steward.tokens.service import InvalidToken, TenantClaims


def get_steward(request: Request) -> Steward:
    steward: Steward = request.app.state.steward
    return steward


StewardDep = Annotated[Steward, Depends(get_steward)]


def require_admin(
    steward: StewardDep, authorization: Annotated[str | None, Header()] = None
) -> str:
    """The admin API takes ``Authorization: Bearer <STEWARD_ADMIN_TOKEN>``."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send Authorization: Bearer <STEWARD_ADMIN_TOKEN>")
    if not hmac.compare_digest(token.encode(), steward.settings.admin_token.encode()):
        raise Unauthorized("the admin token is not valid")
    return "admin"


Admin = Annotated[str, Depends(require_admin)]


def require_tenant(
    steward: StewardDep, authorization: Annotated[str | None, Header()] = None
) -> TenantClaims:
    """The tenant API takes ``Authorization: Bearer <tenant token>``; no anonymous fallback."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("send Authorization: Bearer <tenant token>")
    return steward.tokens.verify(token)


CurrentTenant = Annotated[TenantClaims, Depends(require_tenant)]
