"""GivrWrld at signup: the customer's panel account is found or created as soon as they sign up
(not after the first payment), once, whatever the retries: the panel is asked by email first."""

from __future__ import annotations

import httpx
from dbos import DBOS

from steward.errors import ProviderError
from steward.events import repository as events_repo
from steward.module import Module, Subscribe
from steward.provisioning import urlcheck
from steward.runtime import current
from steward.signup.service import STARTED
from steward.signup.spec import PlanInputs, SignupSpec, declare
from steward.tenants import repository as tenants_repo

SIGNUP = SignupSpec(
    plans={"minecraft_4gb": PlanInputs(), "rust_8gb": PlanInputs()},
    slug_collision="next_free",
    one_tenant_per_email=True,  # one account per player; servers are orders under it
    provision_unverified=False,
)


@DBOS.workflow(name="givrwrld.panel_account_at_signup")
def panel_account_at_signup(domain_event_id: int) -> None:
    ensure_panel_account(domain_event_id)


@DBOS.step(
    name="givrwrld.ensure_panel_account", retries_allowed=True, max_attempts=5, interval_seconds=1
)
def ensure_panel_account(domain_event_id: int) -> str:
    runtime = current()
    with runtime.db.read() as session:
        event = events_repo.get(session, domain_event_id)
        email = tenants_repo.get(session, event.tenant_id or "").email
    settings = runtime.settings
    base = (settings.panel_api_base or settings.public_url.rstrip("/") + "/sandbox/panel").rstrip(
        "/"
    )
    headers = {"Authorization": f"Bearer {settings.panel_api_key}"}
    with httpx.Client(
        base_url=base, headers=headers, timeout=10, verify=urlcheck.tls_context()
    ) as panel:
        found = panel.get("/api/accounts", params={"email": email})
        if found.status_code >= 400:
            raise ProviderError(f"panel GET /api/accounts: {found.status_code}")
        if found.json()["data"]:
            return str(found.json()["data"][0]["id"])
        made = panel.post("/api/accounts", json={"email": email})
        if made.status_code >= 400:
            raise ProviderError(f"panel POST /api/accounts: {made.status_code}")
        return str(made.json()["id"])


MODULE = Module(name="givrwrld", subscribers=(Subscribe(STARTED, panel_account_at_signup),))
MODULES = (declare(SIGNUP), MODULE)
