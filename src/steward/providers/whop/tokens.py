"""The ``x-whop-user-token`` an embedded Whop app receives: an ES256 JWT issued by
``urn:whopcom:exp-proxy`` whose ``sub`` is the user and ``aud`` the app.

The checks are ``whop_sdk.lib.verify_user_token``'s (same issuer, algorithm and header, and an
``aud`` that must be one string equal to our app id) with three more: ``exp`` is required and
checked with a small leeway, the keys are always passed in (Whop's JWK set, fetched by the
caller from ``DEFAULT_JWKS_URL``, or the sandbox's: never a key picked implicitly), and every
failure is its own WhopUserTokenError, a 401, never an anonymous fallback."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from whop_sdk.lib.verify_user_token import (
    DEFAULT_JWKS_URL,
    TOKEN_ALGORITHM,
    TOKEN_ISSUER,
    USER_TOKEN_HEADER_NAME,
)

from steward.providers.whop.errors import (
    UserTokenAlgorithmRefused,
    UserTokenBadSignature,
    UserTokenClaimMissing,
    UserTokenExpired,
    UserTokenMalformed,
    UserTokenMissing,
    UserTokenNotYetValid,
    UserTokenUnknownKey,
    UserTokenWrongAudience,
    UserTokenWrongIssuer,
    WhopUserTokenError,
)

__all__ = [
    "DEFAULT_JWKS_URL",
    "TOKEN_ALGORITHM",
    "TOKEN_ISSUER",
    "USER_TOKEN_HEADER_NAME",
    "UserTokenClaims",
    "UserTokenVerifier",
    "fetch_jwks",
]


@dataclass(frozen=True)
class UserTokenClaims:
    user_id: str  # sub
    app_id: str  # aud
    issued_at: datetime | None
    expires_at: datetime
    # Whop documents neither in the token (the iframe's URL carries them); read if present.
    company_id: str | None = None
    experience_id: str | None = None


class UserTokenVerifier:
    def __init__(
        self, app_id: str, jwks: Mapping[str, Any], *, leeway: int = 30, issuer: str = TOKEN_ISSUER
    ) -> None:
        if not app_id:
            raise ValueError("the app id (the tokens' audience) is required")
        if not 0 <= leeway <= 300:
            raise ValueError("leeway must be 0..300 seconds")
        try:
            keys = jwt.PyJWKSet.from_dict(dict(jwks)).keys
        except jwt.PyJWTError as exc:
            raise ValueError(f"not a usable JWK set: {exc}") from exc
        self.app_id, self.leeway, self.issuer = app_id, leeway, issuer
        self._keys = [k for k in keys if k.algorithm_name == TOKEN_ALGORITHM]
        if not self._keys:
            raise ValueError(f"the JWK set has no {TOKEN_ALGORITHM} key")

    def verify(self, token_or_headers: str | Mapping[str, str] | None) -> UserTokenClaims:
        token = _token(token_or_headers)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise UserTokenMalformed(f"whop user token: {exc}") from exc
        if header.get("alg") != TOKEN_ALGORITHM:
            raise UserTokenAlgorithmRefused(f"whop user token: alg {header.get('alg')!r}")
        kid = header.get("kid")
        # a key published without a kid (Whop's earlier single key) stands for any kid
        named = [k for k in self._keys if kid and k.key_id == kid]
        candidates = named or [k for k in self._keys if not kid or k.key_id is None]
        if not candidates:
            raise UserTokenUnknownKey(f"whop user token: no configured key {kid!r}")
        failure: WhopUserTokenError | None = None
        for key in candidates:
            try:
                return self._claims(token, key)
            except UserTokenBadSignature as exc:  # without a kid, try the next key
                failure = exc
        assert failure is not None
        raise failure

    def _claims(self, token: str, key: jwt.PyJWK) -> UserTokenClaims:
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[TOKEN_ALGORITHM],
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "sub", "aud"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise UserTokenExpired("whop user token: expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise UserTokenNotYetValid(f"whop user token: {exc}") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise UserTokenClaimMissing(f"whop user token: {exc}") from exc
        except jwt.InvalidIssuerError as exc:
            raise UserTokenWrongIssuer(f"whop user token: {exc}") from exc
        except jwt.InvalidSignatureError as exc:
            raise UserTokenBadSignature("whop user token: the signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise UserTokenMalformed(f"whop user token: {exc}") from exc
        aud, sub = payload.get("aud"), payload.get("sub")
        if not isinstance(aud, str) or aud != self.app_id:
            raise UserTokenWrongAudience("whop user token: issued for another app")
        if not isinstance(sub, str) or not sub:
            raise UserTokenClaimMissing("whop user token: no user (sub)")
        return UserTokenClaims(
            user_id=sub,
            app_id=aud,
            issued_at=_when(payload.get("iat")),
            expires_at=_when(payload["exp"]) or datetime.fromtimestamp(0, UTC),
            company_id=_optional(payload, "company_id"),
            experience_id=_optional(payload, "experience_id"),
        )


def fetch_jwks(url: str = DEFAULT_JWKS_URL, *, timeout: float = 10.0) -> dict[str, Any]:
    """Whop's published signing keys (a JWK set), to hand to UserTokenVerifier."""
    response = httpx.get(url, timeout=timeout, headers={"Accept": "application/json"})
    response.raise_for_status()
    keys = response.json()
    if not isinstance(keys, dict):
        raise ValueError(f"{url} did not answer a JWK set")
    return keys


def jwks_from_public_key(public_key: str) -> dict[str, Any]:
    """A one-key JWK set from a JWK JSON string (Whop's earlier single published key)."""
    jwk = json.loads(public_key)
    if not isinstance(jwk, dict):
        raise ValueError("not a JWK")
    return {"keys": [{"alg": TOKEN_ALGORITHM, "use": "sig", **jwk}]}


def _token(token_or_headers: str | Mapping[str, str] | None) -> str:
    if isinstance(token_or_headers, Mapping):
        lowered = {k.lower(): v for k, v in token_or_headers.items()}
        token_or_headers = lowered.get(USER_TOKEN_HEADER_NAME)
    token = (token_or_headers or "").strip()
    if not token:
        raise UserTokenMissing(f"no {USER_TOKEN_HEADER_NAME}")
    return token


def _when(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return None


def _optional(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return value if isinstance(value, str) and value else None
