"""Syston's provisioner (its Provisioner Durable Object, seed 004) as Steward steps.

starter: seed defaults (welcome post + sample fixture) → configure routing → validate the
         Make.com webhook (HEAD → GET → OPTIONS, lenient) → the owner's sign-in link → a signed
         "site.provisioned" POST to the Make.com webhook → complete
pro:     seed defaults → routing → deploy automations → deploy Apps Script (when enabled) →
         sign-in link → complete

The customer gives the Make.com webhook at the wizard's plan step (``POST /public/signup/plan``)
or ``PUT /api/v1/provisioning/inputs/make_webhook_url``. ``SYSTON_APPS_SCRIPT=1`` enables the Apps
Script step; ``STEWARD_PROVISIONING_DRY_RUN`` is Syston's DRY_RUN (no webhook call, no email).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from steward.customers import service as customers
from steward.customers.models import LinkPurpose
from steward.provisioning import Retry, Step, StepContext, kinds
from steward.provisioning import repository as repo
from steward.provisioning.models import Resource
from steward.provisioning.urlcheck import UnsafeUrl, check_target, tls_context
from steward.steps import PermanentStepError, StepRuntime

MAKE_WEBHOOK = "make_webhook_url"
ROUTES = ("fixtures", "results", "posts", "make")
AUTOMATIONS = ("matchday_post", "result_post", "weekly_digest")


def _put(ctx: StepContext, kind: str, name: str, data: dict[str, Any]) -> None:
    runtime = ctx.runtime
    with runtime.db.transaction() as session:
        repo.put_resource(
            session,
            Resource(
                tenant_id=ctx.tenant.id,
                kind=kind,
                name=name,
                data=json.dumps(data, sort_keys=True),
                created_at=runtime.clock.now(),
            ),
        )


def _remove(kind: str) -> Any:
    def undo(ctx: StepContext) -> dict[str, Any]:
        with ctx.runtime.db.transaction() as session:
            return {"removed": repo.delete_resources(session, ctx.tenant.id, kind)}

    return undo


def configure_routing(ctx: StepContext) -> dict[str, Any]:
    slug = ctx.tenant.name.lower().replace(" ", "-")
    for route in ROUTES:
        _put(ctx, "route", route, {"path": f"/{slug}/{route}"})
    return {"routes": len(ROUTES), "slug": slug}


def deploy_automations(ctx: StepContext) -> dict[str, Any]:
    for name in AUTOMATIONS:
        _put(ctx, "automation", name, {"enabled": True})
    return {"automations": list(AUTOMATIONS)}


def deploy_apps_script(ctx: StepContext) -> dict[str, Any]:
    _put(ctx, "apps_script", "sheet_sync", {"deployment": f"AKfy-{ctx.idempotency_key[-12:]}"})
    return {"deployed": "sheet_sync"}


def apps_script_enabled(_steward: Any) -> bool:
    return os.environ.get("SYSTON_APPS_SCRIPT", "") in ("1", "true", "yes")


SEED = kinds.seed_defaults(
    "seed_defaults",
    {
        "welcome_post": {"title": "Welcome to your club site", "body": "Edit me."},
        "sample_fixture": {"home": "Your club", "away": "Rivals FC", "kickoff": "Sat 15:00"},
    },
    kind="content",
)
ROUTING = Step(
    "configure_routing",
    configure_routing,
    _remove("route"),
    timeout_seconds=10,
    retry=Retry(attempts=3, backoff_seconds=0.2),
    touches_outside=False,
    describe="route the club's pages",
)
MAKE = kinds.validate_webhook(
    "validate_make_webhook", kinds.tenant_input(MAKE_WEBHOOK), strict=False
)


def _sign_in_text(ctx: StepContext) -> str:
    """A real sign-in link (single use, stored only as a hash), not a token nobody checks."""
    runtime = ctx.runtime
    with runtime.db.transaction() as session:
        token = customers.new_link(
            session, runtime, ctx.tenant.id, ctx.tenant.email, LinkPurpose.SIGN_IN
        )
    minutes = runtime.settings.magic_link_ttl_seconds // 60
    return (
        f"Hello {ctx.tenant.name},\n\nYour club site is ready. Sign in with this one-time link "
        f"(it works for {minutes} minutes; ask for a new one any time at "
        f"{runtime.settings.public_url.rstrip('/')}/account/signin):\n"
        f"{customers.link_url(runtime, token)}\n"
    )


MAGIC_LINK = kinds.send_email("send_magic_link", "Your Syston site is ready", _sign_in_text)
AUTOMATIONS_STEP = Step(
    "deploy_automations",
    deploy_automations,
    _remove("automation"),
    timeout_seconds=30,
    describe="deploy the Make.com automations",
)
APPS_SCRIPT = Step(
    "deploy_apps_script",
    deploy_apps_script,
    _remove("apps_script"),
    timeout_seconds=60,
    when=apps_script_enabled,
    describe="deploy the Google Apps Script (when SYSTON_APPS_SCRIPT=1)",
)


def make_signing_secret(runtime: StepRuntime, tenant_id: str) -> str:
    """The tenant's Standard Webhooks secret (``whsec_…``), derived from the signing key so it
    survives restarts and needs no table; the customer verifies Steward's calls with it."""
    key = runtime.settings.tenant_token_keys.split(",")[0].partition(":")[2]
    raw = hmac.new(key.encode(), f"make-webhook:{tenant_id}".encode(), hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(raw).decode()


def notify_make(ctx: StepContext) -> dict[str, Any]:
    """Tell the club's Make.com scenario its site is live: a Standard Webhooks signed POST whose
    webhook-id is the step's idempotency key, so a retried delivery is recognisably the same."""
    url = kinds.tenant_input(MAKE_WEBHOOK)(ctx)
    if not url:
        raise PermanentStepError("no Make.com webhook URL was given")
    settings = ctx.runtime.settings
    try:
        check_target(url, settings.webhook_check_allow_private)
    except UnsafeUrl as exc:
        raise PermanentStepError(f"webhook URL refused: {exc.message}") from exc
    body = json.dumps(
        {"type": "site.provisioned", "data": {"tenant_id": ctx.tenant.id, "plan": ctx.tenant.plan}},
        sort_keys=True,
    )
    msg_id = "msg_" + hashlib.sha256(ctx.idempotency_key.encode()).hexdigest()[:24]
    now = datetime.now(UTC)
    signature = Webhook(make_signing_secret(ctx.runtime, ctx.tenant.id)).sign(msg_id, now, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    with httpx.Client(
        timeout=settings.webhook_check_timeout,
        follow_redirects=False,
        trust_env=False,
        verify=tls_context(),
    ) as client:
        response = client.post(url, content=body, headers=headers)
    if response.status_code >= 500:
        raise RuntimeError(f"Make.com answered {response.status_code}")  # retried
    return {"status": response.status_code, "webhook_id": msg_id}


NOTIFY_MAKE = Step(
    "notify_make",
    notify_make,
    None,
    timeout_seconds=30,
    retry=Retry(attempts=3, backoff_seconds=1.0),
    describe="POST a signed site.provisioned event to the Make.com webhook",
)

STARTER = (SEED, ROUTING, MAKE, MAGIC_LINK, NOTIFY_MAKE)
PRO = (SEED, ROUTING, AUTOMATIONS_STEP, APPS_SCRIPT, MAGIC_LINK)
