"""The company's recovery API: who may call it (tenant tokens, Whop user tokens, nothing else),
strict settings, manual actions audited atomically, and Whop's webhook at the edge."""

from __future__ import annotations

import json
import uuid
from typing import Any

from prometheus_client import REGISTRY

from steward.providers.whop import sign
from tests.e2e.recovery_support import (
    COMPANY,
    WHOP_COMPANY,
    case,
    cases,
    fail_renewal,
    install,
    member,
    recovery_server,
    settle,
    whop,
)
from tests.support import ADMIN

ADA = "user_ada0000000001"


def _failures(code: str) -> float:
    value = REGISTRY.get_sample_value("steward_whop_user_token_failures_total", {"code": code})
    return value or 0.0


def test_whop_user_tokens_are_verified_and_scoped_to_their_company(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, _clock):
        auth = install(server)
        app_id = server.settings.whop_app_id
        tokens = whop(server).tokens

        def kpis(token: str) -> tuple[int, dict[str, Any]]:
            r = server.http.get("/api/v1/recovery/kpis", headers={"x-whop-user-token": token})
            return r.status_code, r.json()

        status, body = kpis(tokens.mint(ADA, app_id, company_id=WHOP_COMPANY))
        assert status == 200 and body["company_id"] == COMPANY
        refused = {
            "whop_user_token_expired": tokens.mint(ADA, app_id, ttl=-120, company_id=WHOP_COMPANY),
            "whop_user_token_wrong_audience": tokens.mint(
                ADA, "app_other", company_id=WHOP_COMPANY
            ),
            "whop_user_token_unknown_company": tokens.mint(ADA, app_id, company_id="biz_other0001"),
            "whop_user_token_malformed": "not.a.token",
            "whop_user_token_unknown_key": tokens.mint(
                ADA, app_id, company_id=WHOP_COMPANY, kid="someone-elses-key"
            ),
        }
        for code, token in refused.items():
            before = _failures(code)
            status, body = kpis(token)
            assert status == 401 and body["error"]["code"] == code, (code, body)
            assert _failures(code) == before + 1
        assert server.http.get("/api/v1/recovery/kpis").status_code == 401  # never anonymous
        bearer = {"Authorization": "Bearer forged"}
        assert server.http.get("/api/v1/recovery/kpis", headers=bearer).status_code == 401
        assert server.http.get("/api/v1/recovery/kpis", headers=auth).status_code == 200


def test_another_companys_case_is_not_found(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, _clock):
        auth = install(server)
        other = install(server, company="other-co", whop_company="biz_other0001")
        opened = fail_renewal(server, auth, member(server, ADA))
        assert cases(server, other) == []
        url = f"/api/v1/recovery/cases/{opened['id']}"
        assert server.http.get(url, headers=other).status_code == 404
        for path in ("/nudge", "/cancel", "/terminate"):
            r = server.http.post(url + path, json={"channel": "dm"}, headers=other)
            assert r.status_code == 404, (path, r.text)
        assert case(server, auth, opened["id"])["state"] == "open"


def test_settings_are_strict(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, _clock):
        auth = install(server)
        good = {"offsets_days": [1, 3, 7], "channels": ["dm"], "attempts_before_cancel": 3}
        bad = [
            ({**good, "offsets_days": [3, 1]}, "offsets_days"),
            ({**good, "offsets_days": list(range(11))}, "offsets_days"),
            ({**good, "offsets_days": [1, 400]}, "offsets_days.1"),
            ({**good, "channels": ["fax"]}, "channels.0"),
            ({**good, "colour": "red"}, "colour"),
            ({**good, "whop_experience_id": "exp_" + "x" * 300}, "whop_experience_id"),
            ({**good, "attempts_before_cancel": 4}, "attempts_before_cancel"),
        ]
        for body, field in bad:
            r = server.http.put("/api/v1/recovery/settings", json=body, headers=auth)
            assert r.status_code == 422, (field, r.text)
            error = r.json()["error"]
            assert error["code"] == "invalid_input" and field in error["message"], (field, error)
        r = server.http.put("/api/v1/recovery/settings", json=good, headers=auth)
        assert r.status_code == 200 and r.json()["offsets_days"] == [1, 3, 7]
        period = {"start": "2026-12-02T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
        r = server.http.get("/api/v1/recovery/kpis", params=period, headers=auth)
        assert r.status_code == 422 and "end" in r.json()["error"]["message"]
        r = server.http.get("/api/v1/recovery/dashboard/cases", params={"state": "x"}, headers=auth)
        assert r.status_code == 422 and "state" in r.json()["error"]["message"]


def test_a_manual_nudge_is_audited_with_its_send_or_not_at_all(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, _clock):
        auth = install(server)
        opened = fail_renewal(server, auth, member(server, ADA))
        path = f"/api/v1/recovery/cases/{opened['id']}/nudge"
        whop(server).faults.update({"fail_next": 1000})
        r = server.http.post(path, json={"channel": "dm"}, headers=auth)
        assert r.status_code == 502, r.text
        r = server.http.post(path, json={"channel": "sms"}, headers=auth)
        assert (
            r.status_code == 409 and r.json()["error"]["code"] == "recovery_channel_not_configured"
        )
        assert case(server, auth, opened["id"])["actions"] == []
        assert [s for s in whop(server).sent if s.kind == "dm"] == []
        whop(server).faults.update({"fail_next": 0})
        key = {"Idempotency-Key": "nudge-1", **auth}
        assert server.http.post(path, json={"channel": "dm"}, headers=key).status_code == 200
        assert server.http.post(path, json={"channel": "dm"}, headers=key).status_code == 200
        actions = case(server, auth, opened["id"])["actions"]
        assert [(a["kind"], a["channel"], a["manual"], a["actor"]) for a in actions] == [
            ("nudge", "dm", True, f"company:{COMPANY}")
        ]
        assert len([s for s in whop(server).sent if s.kind == "dm"]) == 1
        filtered = server.http.get(
            "/api/v1/recovery/actions", params={"case_id": opened["id"]}, headers=auth
        )
        assert [a["id"] for a in filtered.json()] == [actions[0]["id"]]


def test_terminate_revokes_access_at_whop(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, _clock):
        auth = install(server)
        membership_id = member(server, ADA)
        opened = fail_renewal(server, auth, membership_id)
        r = server.http.post(f"/api/v1/recovery/cases/{opened['id']}/terminate", headers=auth)
        assert r.status_code == 200 and r.json()["state"] == "terminated"
        assert whop(server).membership(membership_id)["status"] == "canceled"
        again = server.http.post(f"/api/v1/recovery/cases/{opened['id']}/cancel", headers=auth)
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "illegal_recovery_transition"
        settle(server)  # Whop's membership.deactivated arrives after: the case stays terminated
        assert case(server, auth, opened["id"])["state"] == "terminated"


def test_whop_webhooks_forged_duplicated_reordered_and_unknown(db: tuple[str, str]) -> None:
    with recovery_server(db) as (server, _clock):
        auth = install(server)
        secret = server.settings.whop_webhook_secrets[0]
        event: dict[str, Any] = {
            "id": f"msg_{uuid.uuid4().hex[:20]}", "api_version": "v1", "type": "payment.failed",
            "timestamp": "2026-12-01T10:00:00.000Z", "account_id": WHOP_COMPANY,
            "data": {"id": "pay_forged", "membership_id": "mem_forged", "status": "open"},
        }  # fmt: skip
        body = json.dumps(event)
        forged = sign("whsec_not_ours_at_all", event["id"], body)
        r = server.http.post("/webhooks/whop", content=body, headers=forged)
        assert r.status_code == 400 and r.json()["error"]["code"] == "whop_signature_invalid"
        assert server.event_status(event["id"]) is None  # nothing stored

        unknown = {**event, "id": "msg_unknown000001", "type": "entry.approved"}
        text = json.dumps(unknown)
        r = server.http.post(
            "/webhooks/whop", content=text, headers=sign(secret, unknown["id"], text)
        )
        assert r.status_code == 200
        server.wait_for(lambda: server.event_status("msg_unknown000001") == "ignored")

        whop(server).faults.update({"duplicate": 2})
        membership_id = member(server, ADA)
        fail_renewal(server, auth, membership_id)  # exactly one open case despite duplicates
        bob = member(server, "user_bob0000000001")
        whop(server).faults.update({"duplicate": 0, "reorder": True})
        whop(server).renew(membership_id, True)
        seen = len(whop(server).events)
        whop(server).renew(bob, False)
        whop(server).renew(bob, True)
        for held in reversed(whop(server).events[seen:]):  # Bob's success first, then his failure
            text = json.dumps(held)
            r = server.http.post(
                "/webhooks/whop", content=text, headers=sign(secret, held["id"], text)
            )
            assert r.status_code == 200
            server.wait_for(server.settled)
        whop(server).flush()  # the held deliveries arrive too: duplicates, stored once
        settle(server)
        assert cases(server, auth, state="open") == []
        assert [c["membership_id"] for c in cases(server, auth)] == [membership_id]
        assert cases(server, auth)[0]["state"] == "recovered"
        events = server.http.get("/admin/api/events", params={"limit": 500}, headers=ADMIN)
        failed = [e for e in events.json()["items"] if e["status"] in ("failed", "dead")]
        assert failed == []
