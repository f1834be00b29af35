"""Usage in, end to end: the call provider's signed webhook and the usage API, both DBs."""

from __future__ import annotations

import json

from steward.providers.vapi import sign
from tests.e2e.wallets_helpers import adjust, ledger_ok, new_tenant, scalar, server, wallet
from tests.support import ADMIN, Server

__all__ = ["server"]


def test_a_duplicated_call_webhook_debits_once(server: Server) -> None:
    tenant = new_tenant(server)
    assert adjust(server, tenant, 1000, "seed").status_code == 200
    vapi = server.app.state.sandboxes.vapi
    vapi.faults.duplicate = 3
    call = vapi.place_call(tenant, 61)  # two started minutes at 49p
    assert vapi.wait_delivered()
    server.wait_for(server.settled)
    w = wallet(server, tenant)
    assert w["balance"] == 1000 - 98
    usage = [e for e in w["entries"] if e["kind"] == "usage"]
    assert len(usage) == 1 and usage[0]["idempotency_key"] == f"usage:voice_minutes:{call['id']}"
    assert ledger_ok(server, tenant) == (902, 902)
    # The tenant sees it too, with its own token.
    token = server.runtime.tokens.issue(tenant)
    mine = server.http.get("/api/v1/wallet", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200 and mine.json()["balance"] == 902
    assert mine.json()["debt_limit"] == 500 and mine.json()["blocked"] is False


def test_a_refused_call_is_kept_unpaid_and_raises_a_domain_event(server: Server) -> None:
    tenant = new_tenant(server)
    vapi = server.app.state.sandboxes.vapi
    vapi.place_call(tenant, 600)  # 10 minutes = 490p: within the 500p limit
    assert vapi.wait_delivered()
    server.wait_for(lambda: wallet(server, tenant).get("balance") == -490)
    vapi.place_call(tenant, 60)  # 49p more: refused, 39p short
    assert vapi.wait_delivered()
    server.wait_for(lambda: server.settled() and wallet(server, tenant)["unpaid_usage"] == 1)
    w = wallet(server, tenant)
    assert w["balance"] == -490 and w["unpaid_usage"] == 1 and w["unpaid_amount"] == 49
    refused = [e for e in w["entries"] if e["outcome"] == "refused"]
    assert len(refused) == 1 and refused[0]["amount"] == 0 and refused[0]["requested"] == -49
    data = json.loads(
        scalar(
            server,
            "SELECT data FROM domain_events WHERE type = 'wallet.debit_refused' AND tenant_id = :t",
            t=tenant,
        )
    )
    assert data["shortfall"] == 39 and data["balance"] == -490 and data["debt_limit"] == 500
    processed = "SELECT count(*) FROM inbound_events WHERE status = 'processed' AND tenant_id = :t"
    assert scalar(server, processed, t=tenant) == 2


def test_bad_vapi_signatures_are_refused_and_nothing_is_stored(server: Server) -> None:
    body = json.dumps({"id": "vevt_bad", "type": "call.ended", "call": {"id": "c"}}).encode()
    for headers in (
        {},
        {"X-Vapi-Signature": sign(body, "someone-else")},
        {"X-Vapi-Signature": sign(body, server.settings.vapi_webhook_secret, 1_000_000)},
    ):
        r = server.http.post("/webhooks/vapi", content=body, headers=headers)
        assert r.status_code == 400, r.text
    stored = "SELECT count(*) FROM inbound_events WHERE external_id = 'vevt_bad'"
    assert scalar(server, stored) == 0


def test_usage_api_with_an_api_key_debits_once_and_refuses_past_the_limit(server: Server) -> None:
    tenant = new_tenant(server)
    r = server.http.post(f"/admin/api/tenants/{tenant}/api-keys", headers=ADMIN)
    assert r.status_code == 201
    key = {"Authorization": f"Bearer {r.json()['key']}"}
    body = {"meter": "voice_minutes", "quantity": 300, "id": "call-api-1"}
    first = server.http.post("/api/v1/usage", json=body, headers=key)
    again = server.http.post("/api/v1/usage", json=body, headers=key)
    assert first.status_code == 200 and first.json()["amount"] == 245
    assert again.json()["duplicate"] is True and again.json()["balance"] == -245
    bigger = body | {"id": "call-api-2", "quantity": 600}  # 490p more: 235p short
    big = server.http.post("/api/v1/usage", json=bigger, headers=key)
    assert big.status_code == 402
    error = big.json()["error"]
    assert error["code"] == "debit_refused"
    assert error["details"]["shortfall"] == 235 and error["details"]["usage_id"]
    replay = server.http.post("/api/v1/usage", json=bigger, headers=key)
    assert (
        replay.status_code == 402
        and replay.json()["error"]["details"]["shortfall"] == (error["details"]["shortfall"])
    )
    assert ledger_ok(server, tenant) == (-245, -245)
    assert wallet(server, tenant)["unpaid_usage"] == 1
    bad = server.http.post("/api/v1/usage", json=body, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
    unknown = server.http.post("/api/v1/usage", json=body | {"meter": "sms"}, headers=key)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_meter"


def test_admin_adjustment_is_audited_and_idempotent(server: Server) -> None:
    tenant = new_tenant(server)
    assert adjust(server, tenant, 700, "k1").json()["balance"] == 700
    assert adjust(server, tenant, 700, "k1").json()["replayed"] is True
    refused = adjust(server, tenant, -1300, "k2")
    assert refused.status_code == 402 and refused.json()["error"]["details"]["shortfall"] == 100
    assert wallet(server, tenant)["balance"] == 700
    wallet_id = wallet(server, tenant)["id"]
    audited = "SELECT count(*) FROM audit_log WHERE action = 'wallet.adjustment' AND target = :t"
    assert scalar(server, audited, t=f"wallet:{wallet_id}") == 2
