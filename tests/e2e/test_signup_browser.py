"""The signup wizard in headless Chromium at a phone's width: the three steps (with a validation
message), "check your email", the emailed link, the set-up page refreshing itself (meta refresh,
no JavaScript) until "your site is ready", then the account page. Screenshots go to /tmp."""

from __future__ import annotations

from pathlib import Path

from steward.bootstrap import build
from steward.kit.clock import TestClock
from steward.product import Plan, Product
from steward.signup.spec import PlanInputs, SignupSpec, declare
from tests.e2e.signup_support import links, start
from tests.e2e.test_cockpit_browser import ARGS, CHROMIUM, _browser_or_skip
from tests.support import Server, free_port, settings_for

SHOTS = Path("/tmp/signup-shots")
PRODUCT = Product(
    name="Clubsite",
    plans=[
        Plan(key="free", name="Free", price=0, currency="gbp"),
        Plan(key="pro", name="Pro", price=4900, currency="gbp"),
    ],
    modules=(
        declare(
            SignupSpec(
                plans={"free": PlanInputs(), "pro": PlanInputs(confirm=True)},
                provision_unverified=False,
            )
        ),
    ),
)


def test_wizard_in_the_browser_from_first_page_to_ready(db: tuple[str, str]) -> None:
    sync_playwright = _browser_or_skip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings = settings_for(*db, port=free_port(), domain_queue_poll_seconds=0.05)
    with Server(settings, build(settings, clock=TestClock(), product=PRODUCT)) as server:
        assert start(server, "Taken FC", "first@club.example").status_code == 201
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 375, "height": 740})
            scripts: list[str] = []
            page.on(
                "request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None
            )
            page.goto(f"{server.base_url}/signup")
            page.fill("#name", "Taken FC")
            page.fill("#email", "owner@club.example")
            page.click("button[type=submit]")
            assert "taken-fc is taken" in page.inner_text(".error")
            assert (
                "taken-fc-2" in page.inner_text(".hint:last-of-type")
                or "taken-fc-2" in page.content()
            )
            page.screenshot(path=str(SHOTS / "1-start-error.png"), full_page=True)
            page.fill("#slug", "taken-fc-2")
            page.click("button[type=submit]")
            page.wait_for_url("**/signup/brand")
            page.fill("#logo_url", "ftp://nope.example/logo.png")
            page.click("button[type=submit]")
            assert "logo_url" in page.inner_text(".error")
            page.screenshot(path=str(SHOTS / "2-brand.png"), full_page=True)
            page.fill("#logo_url", "")
            page.click("button[type=submit]")
            page.wait_for_url("**/signup/plan")
            page.check("input[value=free]")
            page.screenshot(path=str(SHOTS / "3-plan.png"), full_page=True)
            page.click("button[type=submit]")
            page.wait_for_url("**/signup/setup")
            assert "Check your email" in page.inner_text("h1")
            page.screenshot(path=str(SHOTS / "4-check-email.png"), full_page=True)

            # the emailed link, opened in the same browser: a button, then the account
            link = links(server, "owner@club.example")[-1]
            page.goto(f"{server.base_url}/account/link/{link}")
            page.click("button[type=submit]")
            page.wait_for_url("**/account")
            assert "Taken FC" in page.inner_text("h1")

            page.goto(f"{server.base_url}/signup/setup")
            page.wait_for_selector("text=Your site is ready", timeout=40_000)
            page.screenshot(path=str(SHOTS / "5-ready.png"), full_page=True)
            assert 'http-equiv="refresh"' not in page.content()  # stops refreshing when ready
            page.goto(f"{server.base_url}/account")
            assert "complete" in page.inner_text("table")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.screenshot(path=str(SHOTS / "6-account.png"), full_page=True)
            browser.close()
        assert scripts == []  # no JavaScript at all
