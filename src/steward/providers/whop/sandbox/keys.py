"""The sandbox's own token issuer: an ES256 key of its own, user tokens minted with it the way
Whop's iframe proxy mints them, and the public half as a JWK set (served at
``/.well-known/jwks.json``, where Whop publishes its own). A verifier trusts it only if it is
given this set."""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from steward.providers.whop.tokens import TOKEN_ALGORITHM, TOKEN_ISSUER


class TokenIssuer:
    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = f"sandbox-{secrets.token_hex(6)}"

    def jwks(self) -> dict[str, Any]:
        public = ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": TOKEN_ALGORITHM, "use": "sig"}]}

    def mint(
        self,
        user_id: str,
        app_id: str,
        *,
        ttl: int = 300,
        issued_at: int | None = None,
        issuer: str = TOKEN_ISSUER,
        company_id: str | None = None,
        experience_id: str | None = None,
        kid: str | None = None,
    ) -> str:
        """A user token. ``ttl`` may be negative (an expired token); ``kid`` may name another
        key (a token that claims someone else's key)."""
        now = int(time.time()) if issued_at is None else issued_at
        claims: dict[str, Any] = {
            "sub": user_id, "aud": app_id, "iss": issuer, "iat": now, "exp": now + ttl,
        }  # fmt: skip
        if company_id:
            claims["company_id"] = company_id
        if experience_id:
            claims["experience_id"] = experience_id
        headers = {"kid": kid or self.kid, "typ": "JWT"}
        return jwt.encode(claims, self._key, algorithm=TOKEN_ALGORITHM, headers=headers)
