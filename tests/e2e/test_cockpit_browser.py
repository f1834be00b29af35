"""The cockpit in headless Chromium (Playwright): log in, filter alerts, mute a tenant, replay a
dead event, toggle a kill switch, read the audit log; a form posted without its CSRF token is
refused. Screenshots go to tests/screenshots/ (git-ignored)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from steward.bootstrap import build
from steward.inbox.handlers import HandlerContext
from steward.kit.clock import TestClock
from steward.module import Module, On
from steward.operators.service import create_operator
from steward.product import Plan, Product
from steward.provisioning import PermanentStepError, Step, StepContext
from steward.runtime import current
from tests.support import ADMIN, ROOT, Server, event, free_port, settings_for

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "tests" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"


def _browser_or_skip() -> Any:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install playwright==1.65.2")
    return sync_playwright


FIXED: dict[str, bool] = {"handler": False, "provider": False}


def connect_line(ctx: StepContext) -> dict[str, Any]:
    if not FIXED["provider"]:
        raise PermanentStepError("the carrier refused the number port")
    return {"line": "connected"}


def activate(ctx: HandlerContext) -> None:
    ctx.tenant_id = ctx.data_object["tenant_id"]
    current().bus.publish(
        ctx.session,
        "tenant.activated",
        tenant_id=ctx.tenant_id,
        data={"plan": "starter"},
        cause_event_id=ctx.event.id,
    )


def flaky(ctx: HandlerContext) -> None:
    if not FIXED["handler"]:
        raise RuntimeError("downstream timeout")


PRODUCT = Product(
    name="Cockpit test",
    plans=[
        Plan(
            key="starter",
            name="Starter",
            price=2900,
            currency="gbp",
            provisioning=(Step("connect_line", connect_line),),
        )
    ],
    modules=(
        Module(
            "cockpit-test",
            handlers=(
                On("stripe", ("test.activate",), activate),
                On("stripe", ("test.flaky",), flaky),
            ),
        ),
    ),
)


def test_operator_runs_the_night_from_the_cockpit(db: tuple[str, str]) -> None:
    sync_playwright = _browser_or_skip()
    settings = settings_for(
        *db, port=free_port(), sandbox=False, max_attempts=1, alert_sweep_cron="0 0 0 1 1 *"
    )
    clock = TestClock()
    steward = build(settings, clock=clock, product=PRODUCT)
    FIXED.update(handler=False, provider=False)
    SHOTS.mkdir(exist_ok=True)
    with Server(settings, steward) as server:
        create_operator(server.runtime, "night@example.com", PASSWORD)
        names = ["Alice Plumbing", "Bob Electric", "Carol Cafe"]
        ids = {}
        for name in names:
            r = server.http.post(
                "/admin/api/tenants",
                headers=ADMIN,
                json={"email": f"{name.split()[0]}@example.com", "name": name},
            )
            ids[name] = r.json()["id"]
        dead = event("test.flaky", {"id": "obj_1", "secret_key": "sk_live_abcdef123456"})
        server.post_event(dead)
        server.post_event(event("test.activate", {"id": "o2", "tenant_id": ids["Alice Plumbing"]}))
        server.wait_for(server.settled)

        def run_state() -> str:
            runs = server.http.get("/admin/api/provisioning", headers=ADMIN).json()["items"]
            return str(runs[0]["state"]) if runs else ""

        server.wait_for(lambda: run_state() == "failed", timeout=30)
        clock.advance(timedelta(hours=3))
        assert server.alerts.sweep().opened == 4  # three payment gates, one dead letter

        def alert_rules() -> list[str]:
            r = server.http.get("/admin/api/alerts", headers=ADMIN)
            return sorted(a["rule"] for a in r.json()["items"])

        # The failed run's provisioning.failed event became a critical alert too.
        server.wait_for(lambda: "provisioning_failed" in alert_rules())

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            base = server.base_url
            page.goto(f"{base}/cockpit")
            assert page.url.endswith("/cockpit/login")
            page.fill("input[name=email]", "night@example.com")
            page.fill("input[name=password]", "wrong password!")
            page.click("button[type=submit]")
            assert "Wrong email or password" in page.inner_text("main")
            page.fill("input[name=email]", "night@example.com")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/cockpit")
            assert "1\ndead letters" in page.inner_text(".tiles")
            page.screenshot(path=str(SHOTS / "cockpit-home.png"), full_page=True)

            # Filter alerts: the payment-gate rule only.
            page.click("nav >> text=Alerts")
            assert page.locator("table.alerts tbody tr").count() == 5
            assert "CRITICAL" in page.inner_text("tr.row-critical")
            page.select_option("select[name=alert_type]", "payment_gate")
            page.click("form.filters button")
            assert page.locator("table.alerts tbody tr").count() == 3
            assert "dead_letter" not in page.inner_text("table.alerts")
            page.screenshot(path=str(SHOTS / "cockpit-alerts.png"), full_page=True)
            page.locator("table.alerts tbody tr", has_text="Bob Electric").locator(
                "button", has_text="Acknowledge"
            ).click()
            assert "acknowledged" in page.inner_text(".banner.ok")

            # Mute a tenant for an hour.
            page.goto(f"{base}/cockpit/tenants?q=carol")
            page.click("text=Carol Cafe")
            page.select_option("select[name=minutes]", "60")
            page.fill("input[name=reason]", "talking to them tomorrow")
            page.click("button:has-text('Mute alerts')")
            assert "Alerts muted for 60 minutes" in page.inner_text(".banner.ok")
            assert "alerts muted until" in page.inner_text("h1").lower()
            page.screenshot(path=str(SHOTS / "cockpit-tenant.png"), full_page=True)

            # Replay the dead event once the cause is fixed; its payload shows no secret.
            FIXED["handler"] = True
            page.goto(f"{base}/cockpit/events?status=dead")
            page.locator("table tbody tr a").first.click()
            assert "sk_live_abcdef123456" not in page.content()
            page.screenshot(path=str(SHOTS / "cockpit-event.png"), full_page=True)
            page.click("button:has-text('Replay')")
            assert "queued again" in page.inner_text(".banner.ok")
            server.wait_for(lambda: server.event_status(dead["id"]) == "processed")

            # Retry the failed provisioning run once the carrier is sorted out.
            FIXED["provider"] = True
            page.click("nav >> text=Provisioning")
            page.select_option("select[name=state]", "failed")
            page.click("form.filters button")
            assert "the carrier refused the number port" in page.inner_text("table")
            page.screenshot(path=str(SHOTS / "cockpit-provisioning.png"), full_page=True)
            page.click("button:has-text('Retry')")
            assert "retried" in page.inner_text(".banner.ok")
            server.wait_for(lambda: run_state() == "complete", timeout=30)

            # Toggle a kill switch; the admin API sees it.
            page.click("nav >> text=Kill switches")
            row = page.locator("tr", has_text="signups")
            row.locator("input[name=reason]").fill("fraud wave")
            row.locator("button", has_text="Switch off").click()
            assert "signups switched off" in page.inner_text(".banner.ok")
            page.screenshot(path=str(SHOTS / "cockpit-flags.png"), full_page=True)
            r = server.http.post(
                "/admin/api/tenants", headers=ADMIN, json={"email": "d@example.com", "name": "D"}
            )
            assert r.json()["error"]["code"] == "signups_disabled"

            # Every action is in the audit log, under the operator's name.
            page.click("nav >> text=Audit log")
            audit = page.inner_text("table")
            for action in ("alert.acknowledge", "tenant.mute_alerts", "event.replay", "flag.set"):
                assert action in audit
            assert "retry" in audit
            assert audit.count("night@example.com") == 5
            page.screenshot(path=str(SHOTS / "cockpit-audit.png"), full_page=True)

            # A form posted without the CSRF token (the session cookie rides along) is refused.
            refused = page.request.post(
                f"{base}/cockpit/flags/signups", form={"enabled": "on", "reason": "csrf-less"}
            )
            assert refused.status == 403
            forged = page.request.post(
                f"{base}/cockpit/flags/signups", form={"enabled": "on", "csrf": "guess"}
            )
            assert forged.status == 403
            assert not server.runtime.flags.enabled("signups")
            headers = page.request.get(f"{base}/cockpit").headers
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["cache-control"] == "no-store"
            browser.close()
