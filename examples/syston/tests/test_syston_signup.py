"""Syston's preflight-signup-test, on Steward: the public 3-step wizard over real HTTP.

1. starter happy path  2. idempotency (the same steps twice: one tenant, one provisioning)
3. pro happy path      4. edge cases (slug collision, invalid/expired/wrong-step/wrong-audience
tokens → 401). A paid plan answers a checkout URL; the Stripe sandbox completes it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from tests.e2e.signup_support import bearer, start, verify, wizard
from tests.support import ADMIN, Server, free_port, settings_for

from examples.syston.product import product
from examples.syston.tests.test_syston_provisioning import make_com
from steward.bootstrap import build
from steward.customers import repository as repo
from steward.kit.clock import TestClock
from steward.signup.tokens import StepTokens


@contextmanager
def syston(db: tuple[str, str]) -> Iterator[tuple[Server, TestClock, str, list[str]]]:
    clock = TestClock()
    settings = settings_for(
        *db, port=free_port(), webhook_check_allow_private=True, domain_queue_poll_seconds=0.05
    )
    with (
        make_com() as (hook, seen),
        Server(settings, build(settings, clock=clock, product=product)) as server,
    ):
        yield server, clock, hook, seen


def pay(server: Server, answer: dict[str, Any]) -> None:
    url = answer["checkout_url"]
    session_id = url.rstrip("/").rsplit("/", 1)[-1]
    server.sandbox.complete_checkout(session_id, phone="+447911123456")
    assert server.sandbox.wait_idle(15)
    server.wait_for(server.settled)


def provisioned(server: Server, status_token: str) -> dict[str, Any]:
    def done() -> bool:
        r = server.http.get("/public/signup/status", headers=bearer(status_token))
        return r.status_code == 200 and r.json()["provisioning"] in ("complete", "failed")

    server.wait_for(done, timeout=40)
    body: dict[str, Any] = server.http.get(
        "/public/signup/status", headers=bearer(status_token)
    ).json()
    return body


def runs(server: Server, tenant_id: str) -> list[dict[str, Any]]:
    r = server.http.get("/admin/api/provisioning", params={"tenant_id": tenant_id}, headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_starter_happy_path(db: tuple[str, str]) -> None:
    with syston(db) as (server, _clock, hook, seen):
        done = wizard(
            server, "Syston Town FC", "Owner@Syston.example", "starter", {"make_webhook_url": hook}
        )
        assert done["start"]["slug"] == "syston-town-fc"
        assert done["plan"]["next"] == "verify_email"  # nothing goes live before verification
        assert "checkout_url" not in done["plan"]
        assert verify(server, "owner@syston.example").status_code == 200
        status = server.http.get("/public/signup/status", headers=bearer(done["plan"]["token"]))
        assert status.json()["next"] == "checkout", status.text
        pay(server, status.json())
        final = provisioned(server, status.json()["token"])
        assert final["provisioning"] == "complete" and final["next"] == "provisioning"
        assert "GET" in seen  # the Make.com webhook was validated for real
        # the wizard's steps were the onboarding flow's states, on the web channel
        tenant_id = done["start"]["tenant_id"]

        def live() -> bool:
            r = server.http.get(f"/admin/api/onboarding/{tenant_id}", headers=ADMIN)
            return r.status_code == 200 and bool(r.json()["live"])

        server.wait_for(live, timeout=20)
        conv = server.http.get(f"/admin/api/onboarding/{tenant_id}", headers=ADMIN).json()
        assert conv["channel"] == "web" and conv["state"] == "LIVE"
        assert [t["to_state"] for t in conv["transitions"]] == [
            "BASIC",
            "BRAND",
            "PLAN",
            "VERIFY",
            "PAY",
            "LIVE",
        ]
        assert set(conv["answers"]) == {"start", "brand", "plan"}
        assert conv["signals"]["email_verified"] == "true"


def test_idempotency_same_steps_twice(db: tuple[str, str]) -> None:
    with syston(db) as (server, _clock, hook, _seen):
        first = wizard(
            server,
            "Idem FC",
            "idem@syston.example",
            "starter",
            {"make_webhook_url": hook},
            keys="k1",
        )
        again = wizard(
            server,
            "Idem FC",
            "idem@syston.example",
            "starter",
            {"make_webhook_url": hook},
            keys="k1",
        )
        tenant_id = first["start"]["tenant_id"]
        assert again["start"]["tenant_id"] == tenant_id
        assert again["start"]["slug"] == first["start"]["slug"]
        # without keys, a finished step repeated with the same data changes nothing
        r = server.http.post(
            "/public/signup/plan",
            json={"plan": "starter", "inputs": {"make_webhook_url": hook}},
            headers=bearer(first["plan"]["token"]),
        )
        assert r.status_code == 401  # the answer's token is for the status page, not this step
        verify(server, "idem@syston.example")
        status = server.http.get(
            "/public/signup/status", headers=bearer(first["plan"]["token"])
        ).json()
        again_status = server.http.get(
            "/public/signup/status", headers=bearer(again["plan"]["token"])
        ).json()
        assert status["checkout_url"] == again_status["checkout_url"]  # one checkout
        pay(server, status)
        assert provisioned(server, status["token"])["provisioning"] == "complete"
        assert len(runs(server, tenant_id)) == 1
        with server.runtime.db.read() as session:
            owned = repo.tenants_of(session, "idem@syston.example", 10)
        assert [t.id for t in owned] == [tenant_id]  # one tenant
        mails = server.app.state.sandboxes.mail.to("idem@syston.example")
        assert sum(1 for m in mails if m.subject.startswith("Confirm your email")) == 1
        assert sum(1 for m in mails if m.subject == "Your Syston site is ready") == 1
        # the same key with another body is refused
        r = start(
            server, "Other FC", "idem@syston.example", headers={"Idempotency-Key": "k1-start"}
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_key_reused"


def test_pro_happy_path(db: tuple[str, str]) -> None:
    with syston(db) as (server, _clock, _hook, _seen):
        r = start(server, "Pro United", "pro@syston.example")
        token = r.json()["token"]
        verify(server, "pro@syston.example")
        r = server.http.post(
            "/public/signup/brand",
            json={"primary_color": "#000000", "secondary_color": "#FFFFFF", "logo_url": None},
            headers=bearer(token),
        )
        assert r.status_code == 200, r.text
        plan_token = r.json()["token"]
        refused = server.http.post(
            "/public/signup/plan", json={"plan": "pro", "inputs": {}}, headers=bearer(plan_token)
        )
        assert refused.status_code == 422 and "confirm" in refused.text
        r = server.http.post(
            "/public/signup/plan",
            json={"plan": "pro", "inputs": {"confirm": True}},
            headers=bearer(plan_token),
        )
        assert r.status_code == 200 and r.json()["next"] == "checkout", r.text
        pay(server, r.json())
        assert provisioned(server, r.json()["token"])["provisioning"] == "complete"
        changed = server.http.post(
            "/public/signup/brand",
            json={"primary_color": "#000001", "secondary_color": "#FFFFFF"},
            headers=bearer(token),
        )
        assert changed.status_code == 409 and changed.json()["error"]["code"] == "step_already_done"


def test_edge_cases(db: tuple[str, str]) -> None:
    with syston(db) as (server, clock, _hook, _seen):
        first = start(server, "Collide FC", "a@syston.example")
        assert first.status_code == 201
        taken = start(server, "Collide FC", "b@syston.example")
        assert taken.status_code == 409, taken.text
        error = taken.json()["error"]
        assert (
            error["code"] == "slug_taken" and error["details"]["suggestions"][0] == "collide-fc-2"
        )
        assert (
            start(server, "Collide FC", "b@syston.example", slug="collide-fc-2").status_code == 201
        )
        assert start(server, "x", "b@syston.example", extra_field=1).status_code == 422
        colours = {"primary_color": "#112233", "secondary_color": "#445566"}
        token = first.json()["token"]
        for bad in ("", "Bearer nope", f"Bearer {token}x"):
            r = server.http.post(
                "/public/signup/brand", json=colours, headers={"Authorization": bad}
            )
            assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token", bad
        wrong_step = server.http.post(
            "/public/signup/plan",
            json={"plan": "pro", "inputs": {"confirm": True}},
            headers=bearer(token),
        )
        assert wrong_step.status_code == 401
        tenant_token = server.http.post(
            f"/admin/api/tenants/{first.json()['tenant_id']}/token", headers=ADMIN
        ).json()["token"]
        wrong_audience = server.http.post(
            "/public/signup/brand", json=colours, headers=bearer(tenant_token)
        )
        assert wrong_audience.status_code == 401
        assert server.http.get("/api/v1/me", headers=bearer(token)).status_code == 401
        # JWT expiry is checked against the wall clock: issue the token 16 minutes in the past
        clock.advance(timedelta(minutes=-16))
        old = server.runtime.service(StepTokens).issue(first.json()["tenant_id"], "brand")
        clock.advance(timedelta(minutes=16))
        expired = server.http.post("/public/signup/brand", json=colours, headers=bearer(old))
        assert expired.status_code == 401 and "expired" in expired.text
