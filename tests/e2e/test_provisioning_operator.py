"""Operator paths of provisioning on the running server: a dry run started through the admin
API, the step timeout, cancel, the CLI retry from the failed step, and suspend/resume runs."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.e2e import provisioning_product as tp
from tests.e2e.test_provisioning_engine import (
    activate,
    make_server,
    new_tenant,
    run_detail,
    runs,
    wait_state,
)
from tests.support import ADMIN, ROOT, event


def test_dry_run_records_what_would_happen_and_is_not_the_run_of_record(
    db: tuple[str, str],
) -> None:
    with make_server(db) as server:
        t = new_tenant(server, "dry@example.com")
        r = server.http.post(
            "/admin/api/provisioning", json={"tenant_id": t, "dry_run": True}, headers=ADMIN
        )
        assert r.status_code == 202, r.text
        assert r.json()["key"] == f"dry:{t}:basic:1" and r.json()["dry_run"] is True
        server.wait_for(lambda: runs(server, t)[0]["state"] == "complete")
        detail = run_detail(server, r.json()["id"])
        outputs = {s["name"]: s["output"] for s in detail["steps"]}
        assert outputs["seed"] == {"seeded": ["welcome"]}  # local only: done for real
        for name in ("flaky", "fragile", "last"):
            assert outputs[name]["dry_run"] is True and outputs[name]["would"], outputs
        assert tp.CALLS[f"flaky:{t}"] == 0 and tp.CALLS[f"last:{t}"] == 0  # nothing called

        # the real activation still provisions (the dry run did not take its business key)
        activate(server, t)

        def real_run() -> list[dict[str, object]]:
            return [r for r in runs(server, t) if r["key"] == f"prov:{t}:basic:1"]

        server.wait_for(lambda: [r["state"] for r in real_run()] == ["complete"])
        assert real_run()[0]["dry_run"] is False and tp.CALLS[f"last:{t}"] == 1
        # a second real start is refused: the tenant has its run
        again = server.http.post("/admin/api/provisioning", json={"tenant_id": t}, headers=ADMIN)
        assert again.status_code == 409


def test_dry_run_setting_makes_every_run_a_rehearsal(db: tuple[str, str]) -> None:
    with make_server(db, provisioning_dry_run=True) as server:
        t = new_tenant(server, "drys@example.com")
        activate(server, t)
        done = wait_state(server, t, "complete")
        assert done["dry_run"] is True
        assert [s["output"].get("dry_run", False) for s in done["steps"]] == [
            False,
            True,
            True,
            True,
        ]
        assert tp.CALLS[f"flaky:{t}"] == 0


def test_step_timeout_fails_the_run_after_its_attempts(db: tuple[str, str]) -> None:
    with make_server(db) as server:
        t = new_tenant(server, "slow@example.com", "sleepy")
        activate(server, t, "sleepy")
        failed = wait_state(server, t, "failed")
        assert "step sleepy failed after 2 attempts" in failed["reason"]
        assert "timed out after 0.3 s" in failed["reason"]
        assert failed["steps"][0]["attempts"] == 2


def test_cancel_a_waiting_run_then_cli_retry_of_a_failed_one(db: tuple[str, str]) -> None:
    with make_server(db, provisioning_switch_poll_seconds=0.2) as server:
        server.runtime.flags.set("provisioning", False, actor="test", reason="incident")
        t = new_tenant(server, "c@example.com")
        activate(server, t)
        waiting = wait_state(server, t, "waiting")
        r = server.http.post(f"/admin/api/provisioning/{waiting['id']}/cancel", headers=ADMIN)
        assert r.status_code == 200 and r.json()["state"] == "canceled", r.text
        again = server.http.post(f"/admin/api/provisioning/{waiting['id']}/cancel", headers=ADMIN)
        assert again.status_code == 409
        server.runtime.flags.set("provisioning", True, actor="test", reason="resolved")
        wf = server.runtime.bus.client.retrieve_workflow(waiting["workflow_id"])
        assert wf.get_result() == "canceled"  # the workflow ended, having run no step
        assert tp.CALLS[f"flaky:{t}"] == 0
        assert run_detail(server, waiting["id"])["state"] == "canceled"

        broken = new_tenant(server, "b2@example.com")
        tp.BROKEN.add(broken)
        activate(server, broken)
        failed = wait_state(server, broken, "failed")
        tp.BROKEN.discard(broken)
        settings = server.settings
        env = os.environ | {
            "STEWARD_DATABASE_URL": settings.database_url,
            "STEWARD_DBOS_SCHEMA": settings.dbos_schema,
            "STEWARD_PRODUCT": "tests.e2e.provisioning_product:product",
            "STEWARD_APP_VERSION": settings.app_version,
            "STEWARD_SANDBOX": "false",
            "PYTHONPATH": str(ROOT),
        }
        done = subprocess.run(
            [sys.executable, "-m", "steward", "provisioning", "retry", str(failed["id"])],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert f"{failed['key']}:retry1" in done.stdout
        retried = wait_state(server, broken, "complete")
        assert [s["attempts"] for s in retried["steps"]][:2] == [1, 3]  # not run again


def test_suspend_and_resume_run_the_plans_declared_steps(db: tuple[str, str]) -> None:
    with make_server(db) as server:
        t = new_tenant(server, "l@example.com", "lifecycle")
        activate(server, t, "lifecycle")
        wait_state(server, t, "complete")
        server.post_event(event("test.suspend", {"id": f"s_{t}", "tenant_id": t}))
        suspended = wait_state(server, t, "complete", kind="suspend")
        assert [s["name"] for s in suspended["steps"]] == ["pause_site", "pause_calls"]
        server.post_event(event("test.resume", {"id": f"r_{t}", "tenant_id": t}))
        resumed = wait_state(server, t, "complete", kind="resume")
        assert [s["name"] for s in resumed["steps"]] == ["resume_site"]
        assert tp.CALLS[f"pause_site:{t}"] == tp.CALLS[f"resume_site:{t}"] == 1
        # a plan without such steps opens no run
        other = new_tenant(server, "nosuspend@example.com")
        activate(server, other)
        wait_state(server, other, "complete")
        server.post_event(event("test.suspend", {"id": f"s_{other}", "tenant_id": other}))
        server.wait_for(server.settled)
        assert [r["kind"] for r in runs(server, other)] == ["provision"]
