"""Issue and verify tenant tokens.

Keys come from ``STEWARD_TENANT_TOKEN_KEYS`` as ``kid:secret,kid:secret``: the first signs, all
verify (rotation: add the new key first, later drop the old). A token is refused — never read as
anonymous — when its signature is wrong, its ``kid`` unknown, its ``alg`` not the configured one,
or it is expired, not yet valid, or for another audience."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import jwt

from steward.errors import ConfigError, Unauthorized
from steward.kit.clock import Clock


class InvalidToken(Unauthorized):
    """The tenant token is not valid."""

    code = "invalid_token"


@dataclass(frozen=True)
class TenantClaims:
    tenant_id: str
    scope: str


class TenantTokens:
    def __init__(
        self,
        keys: str,
        *,
        algorithm: str,
        audience: str,
        issuer: str,
        ttl_seconds: int,
        clock: Clock,
    ) -> None:
        self.keys: dict[str, str] = {}
        for item in keys.split(","):
            kid, sep, secret = item.strip().partition(":")
            if not sep or not kid or len(secret) < 32:
                raise ConfigError(
                    "STEWARD_TENANT_TOKEN_KEYS: expected 'kid:secret' pairs, secrets of 32+ chars"
                )
            self.keys[kid] = secret
        self.signing_kid = next(iter(self.keys))
        self.algorithm, self.audience, self.issuer = algorithm, audience, issuer
        self.ttl = timedelta(seconds=ttl_seconds)
        self.clock = clock

    def issue(self, tenant_id: str, scope: str = "tenant", ttl: timedelta | None = None) -> str:
        now = self.clock.now()
        claims = {
            "sub": tenant_id,
            "scope": scope,
            "aud": self.audience,
            "iss": self.issuer,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + (ttl or self.ttl)).timestamp()),
        }
        return jwt.encode(
            claims,
            self.keys[self.signing_kid],
            algorithm=self.algorithm,
            headers={"kid": self.signing_kid},
        )

    def verify(self, token: str) -> TenantClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("the token is not a JWT") from exc
        if header.get("alg") != self.algorithm:
            raise InvalidToken(f"the token's alg must be {self.algorithm}")
        secret = self.keys.get(str(header.get("kid")))
        if secret is None:
            raise InvalidToken("the token's key id is not known")
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=0,
                options={"require": ["exp", "nbf", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("the token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvalidToken("the token is not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("the token is for another audience") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"the token is not valid: {exc}") from exc
        return TenantClaims(tenant_id=str(claims["sub"]), scope=str(claims.get("scope", "")))
