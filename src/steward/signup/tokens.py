"""Step tokens: 15-minute JWTs of audience ``signup``, bound to one tenant and the one step they
allow (scope ``signup:<step>``). A tenant API token is of another audience, so it is refused
here, and a step token is refused by the tenant API."""

from __future__ import annotations

from datetime import timedelta

from steward.runtime import Runtime
from steward.tokens.service import InvalidToken, TenantTokens


class StepTokens:
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.ttl = settings.signup_token_ttl_seconds
        self._tokens = TenantTokens(
            settings.tenant_token_keys,
            algorithm=settings.tenant_token_algorithm,
            audience=settings.signup_token_audience,
            issuer=settings.public_url,
            ttl_seconds=self.ttl,
            clock=runtime.clock,
        )

    def issue(self, tenant_id: str, step: str) -> str:
        return self._tokens.issue(tenant_id, f"signup:{step}", ttl=timedelta(seconds=self.ttl))

    def verify(self, authorization: str | None, step: str) -> str:
        """The tenant id a valid token for ``step`` names; InvalidToken (401) for anything else."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("send Authorization: Bearer <step token> from the previous step")
        claims = self._tokens.verify(token)
        if claims.scope != f"signup:{step}":
            raise InvalidToken(f"this token is not for the {step} step")
        return claims.tenant_id
