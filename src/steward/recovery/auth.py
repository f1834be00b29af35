"""Who is calling the company API: a tenant token (``Authorization: Bearer``, the company's own
backend) or, for requests from the embedded Whop app, ``x-whop-user-token`` verified against
Whop's keys (the sandbox's when it is on), whose company must have installed recovery.

Every failure is a 401, counted by code and logged without the token; never anonymous."""

from __future__ import annotations

import threading
import time
from typing import Annotated

import structlog
from fastapi import Depends, Header

from steward.api.deps import RuntimeDep, require_tenant
from steward.config import Settings
from steward.providers.whop import (
    DEFAULT_JWKS_URL,
    UserTokenClaimMissing,
    UserTokenClaims,
    UserTokenUnknownKey,
    UserTokenVerifier,
    WhopUserTokenError,
    fetch_jwks,
)
from steward.recovery import monitoring
from steward.recovery import repository as repo

log = structlog.get_logger("steward.recovery.auth")
REFETCH_SECONDS = 60.0


class UnknownWhopCompany(WhopUserTokenError):
    """The token's company has not installed recovery."""

    code = "whop_user_token_unknown_company"


class KeysUnavailable(WhopUserTokenError):
    """Whop's signing keys could not be fetched; the token cannot be checked."""

    code = "whop_user_token_keys_unavailable"


class WhopUserTokens:
    """The verifier, built on first use from the JWK set (fetched once per process)."""

    def __init__(self, settings: Settings) -> None:
        self.app_id = settings.whop_app_id
        base = settings.public_url.rstrip("/")
        sandbox_keys = f"{base}/sandbox/whop/.well-known/jwks.json"
        self.jwks_url = settings.whop_jwks_url or (
            sandbox_keys if settings.sandbox else DEFAULT_JWKS_URL
        )
        self._verifier: UserTokenVerifier | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def verify(self, token: str) -> UserTokenClaims:
        """The token's claims; a token signed by a key we do not know yet fetches the keys
        again (Whop rotated them), at most once a minute."""
        try:
            return self._current(refresh=False).verify(token)
        except UserTokenUnknownKey:
            if time.monotonic() - self._fetched_at < REFETCH_SECONDS:
                raise
            return self._current(refresh=True).verify(token)

    def _current(self, *, refresh: bool) -> UserTokenVerifier:
        with self._lock:
            if self._verifier is None or refresh:
                try:
                    self._verifier = UserTokenVerifier(self.app_id, fetch_jwks(self.jwks_url))
                except Exception as exc:  # any failure to get keys is a refusal, not a 500
                    raise KeysUnavailable(f"whop keys: {type(exc).__name__}") from exc
                finally:
                    self._fetched_at = time.monotonic()
            return self._verifier


def company_of(
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Header()] = None,
    x_whop_user_token: Annotated[str | None, Header()] = None,
) -> str:
    """The caller's company (a Steward tenant id)."""
    if x_whop_user_token is None:
        return require_tenant(runtime, authorization).tenant_id
    try:
        claims = runtime.service(WhopUserTokens).verify(x_whop_user_token)
        if not claims.company_id:
            raise UserTokenClaimMissing("whop user token: no company")
        with runtime.db.read() as session:
            row = repo.settings_by_whop(session, claims.company_id)
        if row is None:
            raise UnknownWhopCompany("whop user token: this company has not installed recovery")
        return row.company_id
    except WhopUserTokenError as exc:
        monitoring.TOKEN_FAILURES.labels(code=exc.code).inc()
        log.warning("recovery.user_token_refused", code=exc.code)
        raise


CurrentCompany = Annotated[str, Depends(company_of)]
