"""GivrWrld's purchase pipeline (seed 001) as Steward steps, against a game panel.

panel_account   find the customer's panel account by email, create it when missing
create_server   POST /api/servers with the step's Idempotency-Key (a re-run creates nothing new)
wait_installed  wait (durably, up to 15 minutes) for the panel's signed "server installed"
                callback at /webhooks/panel — GivrWrld's "3 to 5 minutes"
report_status   read the server back and record its status on the run's timeline

The panel is ``STEWARD_PANEL_API_BASE`` (key ``STEWARD_PANEL_API_KEY``); empty, the sandbox panel
mounted at /sandbox/panel, which "installs" for ``STEWARD_SANDBOX_PANEL_DELAY_SECONDS``.
The customer polls ``GET /api/v1/provisioning`` (only their own orders).
"""

from __future__ import annotations

from typing import Any

import httpx

from steward.errors import ProviderError
from steward.provisioning import PermanentStepError, Retry, Step, StepContext, kinds, urlcheck

INSTALLED = "panel.server_installed"
RETRY = Retry(attempts=5, backoff_seconds=0.5)


def panel(ctx: StepContext) -> str:
    settings = ctx.runtime.settings
    return (settings.panel_api_base or settings.public_url.rstrip("/") + "/sandbox/panel").rstrip(
        "/"
    )


def _headers(ctx: StepContext) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {ctx.runtime.settings.panel_api_key}",
        "Idempotency-Key": ctx.idempotency_key,
    }


def _call(ctx: StepContext, method: str, path: str, **kw: Any) -> Any:
    try:
        r = httpx.request(
            method,
            panel(ctx) + path,
            headers=_headers(ctx),
            timeout=10,
            verify=urlcheck.tls_context(),  # shared: not a CA bundle load per call
            **kw,
        )
    except httpx.HTTPError as exc:
        raise ProviderError(f"panel {method} {path}: {type(exc).__name__}") from exc
    if r.status_code >= 500:
        raise ProviderError(f"panel {method} {path}: {r.status_code}")
    if r.status_code >= 400:
        raise PermanentStepError(f"panel {method} {path}: {r.status_code} {r.text[:200]}")
    return r.json()


def panel_account(ctx: StepContext) -> dict[str, Any]:
    found = _call(ctx, "GET", "/api/accounts", params={"email": ctx.tenant.email})["data"]
    if found:
        return {"account_id": found[0]["id"], "created": False}
    made = _call(ctx, "POST", "/api/accounts", json={"email": ctx.tenant.email})
    return {"account_id": made["id"], "created": True}


def game(ctx: StepContext) -> str:
    return ctx.tenant.plan.split("_", 1)[0]  # plan "minecraft_4gb" -> "minecraft"


def delete_server(ctx: StepContext) -> dict[str, Any]:
    """The undo of create_server: this order's server only (its id is the step's output)."""
    server_id = (ctx.output.get("response") or {}).get("id")
    if not server_id:
        return {"deleted": None}
    try:
        r = httpx.delete(
            f"{panel(ctx)}/api/servers/{server_id}",
            headers=_headers(ctx),
            timeout=10,
            verify=urlcheck.tls_context(),
        )
    except httpx.HTTPError as exc:
        raise ProviderError(f"panel DELETE server: {type(exc).__name__}") from exc
    if r.status_code >= 500:
        raise ProviderError(f"panel DELETE server: {r.status_code}")
    if r.status_code not in (204, 404):  # 404: already gone, which is what we want
        raise PermanentStepError(f"panel DELETE server: {r.status_code} {r.text[:200]}")
    return {"deleted": server_id}


CREATE_SERVER = kinds.http_call(
    "create_server",
    "POST",
    lambda ctx: panel(ctx) + "/api/servers",
    lambda ctx: {
        "account_id": ctx.outputs["panel_account"]["account_id"],
        "game": game(ctx),
        "external_id": ctx.idempotency_key,  # the callback names the run by it
    },
    headers=lambda ctx: {"Authorization": f"Bearer {ctx.runtime.settings.panel_api_key}"},
    undo=delete_server,
    timeout_seconds=10,
    retry=RETRY,
)


def installed(ctx: StepContext, message: Any) -> dict[str, Any]:
    server_id = ctx.outputs["create_server"]["response"]["id"]
    if message.get("id") != server_id:
        raise PermanentStepError(f"the panel reported server {message.get('id')}, not {server_id}")
    return {"server_id": server_id, "status": message.get("status")}


def report_status(ctx: StepContext) -> dict[str, Any]:
    server_id = ctx.outputs["wait_installed"]["server_id"]
    server = _call(ctx, "GET", f"/api/servers/{server_id}")
    if server["status"] != "installed":
        raise ProviderError(f"server {server_id} is {server['status']}")
    return {"server_id": server_id, "game": server["game"], "status": server["status"]}


STEPS = (
    Step(
        "panel_account",
        panel_account,
        timeout_seconds=20,
        retry=RETRY,
        describe="find or create the customer's panel account",
    ),
    CREATE_SERVER,
    kinds.wait_for_signal("wait_installed", INSTALLED, 15 * 60, check=installed),
    Step(
        "report_status",
        report_status,
        timeout_seconds=20,
        retry=RETRY,
        describe="read the server's status back from the panel",
    ),
)
