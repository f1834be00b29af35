"""Tenant tokens: issued by the admin API, required by the tenant API; every kind of bad token is
a 401, never an anonymous fallback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest

from tests.support import ADMIN, Server, free_port, settings_for

KEYS = "k2:second-secret-key-0123456789abcdefghij,k1:first-secret-key-0123456789abcdefghijk"


@pytest.fixture
def server(db: tuple[str, str]) -> Any:
    with Server(settings_for(*db, port=free_port(), sandbox=False, tenant_token_keys=KEYS)) as srv:
        yield srv


def test_token_flow_and_refusals(server: Server) -> None:
    t = server.http.post(
        "/admin/api/tenants", json={"email": "t@example.com", "name": "T"}, headers=ADMIN
    ).json()
    issued = server.http.post(f"/admin/api/tenants/{t['id']}/token", headers=ADMIN).json()
    assert issued["expires_in"] == 900
    me = server.http.get("/api/v1/me", headers={"Authorization": f"Bearer {issued['token']}"})
    assert me.status_code == 200 and me.json()["id"] == t["id"]
    assert jwt.get_unverified_header(issued["token"])["kid"] == "k2"

    tokens = server.runtime.tokens
    good = jwt.decode(issued["token"], options={"verify_signature": False})

    def forge(
        key: str = "second-secret-key-0123456789abcdefghij",
        kid: str = "k2",
        alg: str = "HS256",
        **changes: Any,
    ) -> str:
        return jwt.encode(good | changes, key, algorithm=alg, headers={"kid": kid})

    now = int(tokens.clock.now().timestamp())
    old_key = forge(
        key="first-secret-key-0123456789abcdefghijk", kid="k1"
    )  # rotation: the old key verifies
    assert (
        server.http.get("/api/v1/me", headers={"Authorization": f"Bearer {old_key}"}).status_code
        == 200
    )
    bad = {
        "wrong signature": forge(key="not-the-key-at-all-0123456789abcdefghij"),
        "unknown kid": forge(kid="k9"),
        "other alg": forge(key="k" * 64, alg="HS512"),
        "alg none": jwt.encode(good, None, algorithm="none", headers={"kid": "k2"}),
        "expired": forge(exp=now - 1),
        "not yet valid": forge(nbf=now + 60),
        "wrong audience": forge(aud="someone-else"),
        "garbage": "not.a.jwt",
    }
    for case, token in bad.items():
        r = server.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, case
        assert r.json()["error"]["code"] == "invalid_token", case
    assert server.http.get("/api/v1/me").status_code == 401
    short = tokens.issue(t["id"], ttl=timedelta(seconds=-1))
    assert (
        server.http.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"}).status_code
        == 401
    )
