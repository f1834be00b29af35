"""Syston's starter and pro flows end to end: a payment through the Stripe sandbox activates the
tenant, which provisions it; the Make.com webhook is validated against a real local HTTP server
and the owner's magic link arrives in the sandbox mail sink."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from tests.e2e.signup_support import LINK
from tests.e2e.subscription_support import pay, signup
from tests.support import ADMIN, Server, free_port, settings_for

from examples.syston.provisioning import make_signing_secret

PRODUCT = "examples.syston.product:product"
posts: list[tuple[dict[str, str], bytes]] = []  # what the last make_com() received by POST


@contextmanager
def make_com() -> Iterator[tuple[str, list[str]]]:
    """A Make.com-like webhook receiver: HEAD is refused with 500, GET answers 200; POSTs are
    kept in ``posts`` (headers, body)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int) -> None:
            seen.append(self.command)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_HEAD(self) -> None:
            self._answer(500)

        def do_GET(self) -> None:
            self._answer(200)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            posts.append(({k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    posts.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hook/abc", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def own_status(server: Server, auth: dict[str, str], state: str) -> dict[str, Any]:
    """Poll the tenant's own status endpoint, as Syston's signup page does."""

    def reached() -> bool:
        r = server.http.get("/api/v1/provisioning", headers=auth)
        return r.status_code == 200 and r.json()["state"] == state

    server.wait_for(reached, timeout=30)
    return dict(server.http.get("/api/v1/provisioning", headers=auth).json())


def test_starter_and_pro_from_payment_to_complete(db: tuple[str, str]) -> None:
    settings = settings_for(
        *db,
        port=free_port(),
        product=PRODUCT,
        webhook_check_allow_private=True,  # the local Make.com stand-in is on loopback
        domain_queue_poll_seconds=0.05,
    )
    with make_com() as (hook, seen), Server(settings) as server:
        starter, starter_auth = signup(server, "owner@syston.example")
        r = server.http.put(
            "/api/v1/provisioning/inputs/make_webhook_url",
            json={"value": hook},
            headers=starter_auth,
        )
        assert r.status_code == 204, r.text
        pro, pro_auth = signup(server, "pro@syston.example")

        pay(server, starter_auth, "starter")
        pay(server, pro_auth, "pro")

        body = own_status(server, starter_auth, "complete")
        (run,) = body["runs"]
        assert run["tenant_id"] == starter and run["plan"] == "starter"
        steps = {s["name"]: s for s in run["steps"]}
        assert list(steps) == [
            "seed_defaults",
            "configure_routing",
            "validate_make_webhook",
            "send_magic_link",
            "notify_make",
        ]
        assert all(s["state"] == "done" and s["attempts"] == 1 for s in steps.values())
        # Steward's call to the customer's webhook verifies with the tenant's Standard Webhooks
        # secret, and with no other
        ((headers, payload),) = posts
        secret = make_signing_secret(server.runtime, starter)
        assert Webhook(secret).verify(payload, headers)["data"]["tenant_id"] == starter
        assert headers["webhook-id"] == steps["notify_make"]["output"]["webhook_id"]
        with pytest.raises(WebhookVerificationError):
            Webhook(make_signing_secret(server.runtime, pro)).verify(payload, headers)
        assert steps["validate_make_webhook"]["output"] == {
            "url": hook,
            "method": "GET",
            "status": 200,
        }
        assert seen == ["HEAD", "GET"], seen  # the cascade: HEAD failed, GET accepted

        pro_body = own_status(server, pro_auth, "complete")
        (pro_run,) = pro_body["runs"]
        assert [s["name"] for s in pro_run["steps"]] == [
            "seed_defaults",
            "configure_routing",
            "deploy_automations",
            "deploy_apps_script",
            "send_magic_link",
        ]
        apps = pro_run["steps"][3]
        assert apps["output"] == {"skipped": "not enabled for this product"}

        sink = server.app.state.sandboxes.mail
        server.wait_for(lambda: len(sink.messages) >= 2)
        mails = {m.to: m for m in sink.messages}
        assert set(mails) == {"owner@syston.example", "pro@syston.example"}
        link = mails["owner@syston.example"]
        assert link.subject == "Your Syston site is ready" and link.deliveries == 1
        token = LINK.findall(link.text)[0]  # a real sign-in link: it opens a session, once
        r = server.http.post("/public/auth/redeem", json={"token": token})
        assert r.status_code == 200 and r.json()["tenant_id"] in (starter, pro)
        assert server.http.post("/public/auth/redeem", json={"token": token}).status_code == 401
        sent_id = steps["send_magic_link"]["output"]["message_id"]
        assert link.message_id.strip().strip("<>") in sent_id  # the step's key is the Message-ID

        # what was provisioned: the seeded content and the routes (starter), automations (pro)
        timeline = server.http.get(f"/admin/api/tenants/{starter}", headers=ADMIN).json()
        assert any("complete" in e["message"] for e in timeline["timeline"])
        with server.runtime.db.read() as session:
            from steward.provisioning import repository as repo

            kinds = sorted({r.kind for r in repo.resources(session, starter)})
            pro_kinds = sorted({r.kind for r in repo.resources(session, pro)})
        assert kinds == ["content", "input", "route"]
        assert pro_kinds == ["automation", "content", "route"]


def test_a_refused_webhook_fails_the_starter_run_with_its_reason(db: tuple[str, str]) -> None:
    """SSRF protection is on by default: a loopback webhook is refused, the run fails, and no
    magic link is sent; the operator sees why."""
    settings = settings_for(*db, port=free_port(), product=PRODUCT, domain_queue_poll_seconds=0.05)
    with Server(settings) as server:
        tenant, auth = signup(server, "ssrf@syston.example")
        server.http.put(
            "/api/v1/provisioning/inputs/make_webhook_url",
            json={"value": "http://127.0.0.1:9/hook"},
            headers=auth,
        )
        pay(server, auth, "starter")
        body = own_status(server, auth, "failed")
        assert "validate_make_webhook failed permanently" in body["reason"]
        assert "refused" in body["reason"]
        assert [s["state"] for s in body["runs"][0]["steps"]] == [
            "done",
            "done",
            "failed",
            "pending",
            "pending",
        ]
        assert server.app.state.sandboxes.mail.messages == []
        failed = server.http.get(
            "/admin/api/provisioning", params={"state": "failed"}, headers=ADMIN
        ).json()
        assert [r["tenant_id"] for r in failed["items"]] == [tenant]
