"""Public signup and customer sign-in over real HTTP: magic links (single use, expiry,
concurrent redemption), a sign-in that answers alike for unknown emails, sessions minting tenant
API tokens, rate limits (429 + Retry-After), the signups kill switch (503), CORS preflight, and a
free plan provisioned as the last step completes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx

from steward.bootstrap import build
from steward.kit.clock import TestClock
from steward.product import Plan, Product
from steward.signup.spec import PlanInputs, SignupSpec, declare
from tests.e2e.signup_support import bearer, links, start, wizard
from tests.support import ADMIN, Server, free_port, settings_for

PRODUCT = Product(
    name="Freebie",
    plans=[
        Plan(key="free", name="Free", price=0, currency="gbp"),
        Plan(key="paid", name="Paid", price=900, currency="gbp"),
    ],
    modules=(
        declare(
            SignupSpec(
                plans={"free": PlanInputs(), "paid": PlanInputs(confirm=True)},
                slug_collision="next_free",
                one_tenant_per_email=True,
                provision_unverified=True,
            )
        ),
    ),
)
ORIGIN = "https://club.example"


@contextmanager
def server_for(db: tuple[str, str], **overrides: Any) -> Iterator[tuple[Server, TestClock]]:
    clock = TestClock()
    settings = settings_for(
        *db, port=free_port(), domain_queue_poll_seconds=0.05, cors_origins=ORIGIN, **overrides
    )
    with Server(settings, build(settings, clock=clock, product=PRODUCT)) as server:
        yield server, clock


def test_free_plan_provisions_when_the_last_step_completes(db: tuple[str, str]) -> None:
    with server_for(db) as (server, _clock):
        done = wizard(server, "Free Club", "free@club.example", "free", {})
        assert done["plan"]["next"] == "provisioning"

        def provisioned() -> bool:
            r = server.http.get("/public/signup/status", headers=bearer(done["plan"]["token"]))
            return bool(r.json()["provisioning"] == "complete")

        server.wait_for(provisioned, timeout=30)
        # the product takes the next free slug, and refuses a second tenant for one email
        assert start(server, "Free Club", "other@club.example").json()["slug"] == "free-club-2"
        again = start(server, "Again", "Free+tag@club.example")
        assert again.status_code == 409 and again.json()["error"]["code"] == "email_in_use"


def test_magic_link_single_use_expiry_and_concurrent_redemption(db: tuple[str, str]) -> None:
    with server_for(db) as (server, clock):
        assert start(server, "Link Club", "link@club.example").status_code == 201
        token = links(server, "link@club.example")[0]
        with ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(
                    lambda _: httpx.post(
                        f"{server.base_url}/public/auth/redeem", json={"token": token}, timeout=30
                    ),
                    range(8),
                )
            )
        codes = sorted(r.status_code for r in answers)
        assert codes == [200] + [401] * 7, codes
        assert all(
            r.json()["error"]["code"] == "invalid_link" for r in answers if r.status_code == 401
        )
        winner = next(r for r in answers if r.status_code == 200)
        assert "httponly" in winner.headers["set-cookie"].lower()
        assert "samesite=lax" in winner.headers["set-cookie"].lower()
        # reuse after the fact
        assert server.http.post("/public/auth/redeem", json={"token": token}).status_code == 401
        # expiry: a sign-in link asked for now is dead 16 minutes later
        server.http.post("/public/auth/link", json={"email": "link@club.example"})
        late = links(server, "link@club.example", "Sign in")[0]
        clock.advance(timedelta(minutes=16))
        assert server.http.post("/public/auth/redeem", json={"token": late}).status_code == 401


def test_sign_in_session_token_and_logout(db: tuple[str, str]) -> None:
    with server_for(db) as (server, _clock):
        tenant_id = start(server, "Session Club", "s@club.example").json()["tenant_id"]
        assert server.http.post("/api/v1/token").status_code == 401
        times = {}
        for email in ("s@club.example", "nobody@club.example"):
            t0 = time.perf_counter()
            r = server.http.post("/public/auth/link", json={"email": email})
            times[email] = time.perf_counter() - t0
            assert r.status_code == 202
            assert r.json() == {
                "sent": True,
                "message": "if this email owns an account, a sign-in link is on its way",
            }
        assert abs(times["s@club.example"] - times["nobody@club.example"]) < 0.5

        assert not server.app.state.sandboxes.mail.to("nobody@club.example")
        r = server.http.post(
            "/public/auth/redeem", json={"token": links(server, "s@club.example", "Sign in")[0]}
        )
        assert r.status_code == 200 and r.json()["tenant_id"] == tenant_id
        minted = server.http.post("/api/v1/token")
        assert minted.status_code == 201, minted.text
        me = server.http.get("/api/v1/me", headers=bearer(minted.json()["token"]))
        assert me.status_code == 200 and me.json()["id"] == tenant_id
        cookie = server.http.cookies.get("steward_customer")
        assert server.http.post("/public/auth/logout").status_code == 204
        revoked = httpx.post(
            f"{server.base_url}/api/v1/token", cookies={"steward_customer": cookie or ""}
        )
        assert revoked.status_code == 401  # the session is revoked, not only the cookie cleared


def test_rate_limit_kill_switch_and_cors(db: tuple[str, str]) -> None:
    with server_for(db, signup_rate_limit=2, signin_rate_limit=2) as (server, _clock):
        assert start(server, "One", "one@club.example").status_code == 201
        assert start(server, "Two", "two@club.example").status_code == 201
        limited = start(server, "Three", "three@club.example")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        for _ in range(2):
            server.http.post("/public/auth/link", json={"email": "x@club.example"})
        r = server.http.post("/public/auth/link", json={"email": "x@club.example"})
        assert r.status_code == 429 and r.headers["Retry-After"]

        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        ok = server.http.options("/public/signup/start", headers={"Origin": ORIGIN, **preflight})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ORIGIN
        other = server.http.options(
            "/public/signup/start", headers={"Origin": "https://evil.example", **preflight}
        )
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers

        r = server.http.put("/admin/api/flags/signups", json={"enabled": False}, headers=ADMIN)
        assert r.status_code == 200
        for method, path in (
            ("POST", "/public/signup/start"),
            ("POST", "/public/signup/brand"),
            ("POST", "/public/signup/plan"),
            ("GET", "/public/signup/status"),
        ):
            r = server.http.request(method, path, json={})
            assert r.status_code == 503 and r.json()["error"]["code"] == "signups_disabled", path
