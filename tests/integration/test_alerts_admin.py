"""JobRun's admin actions through the real server: the hard delete refused for each failing
check and accepted when all pass, leaving nothing behind; kill switches over the admin API and
the CLI, flipped in one process and seen by the server process within a second; signups 503."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.integration.alerts_world import World, leftovers, world
from tests.support import ADMIN, ROOT, checkout_completed, free_port

PRODUCT = "examples.jobrun.product:product"

__all__ = ["world"]


def delete(world: World, tid: str, **params: Any) -> Any:
    return world.server.http.request(
        "DELETE", f"/admin/api/tenants/{tid}", params=params, headers=ADMIN
    )


def failed_checks(r: Any) -> list[str]:
    assert r.status_code == 409, r.text
    body = r.json()["error"]
    assert body["code"] == "delete_refused"
    return sorted(f["check"] for f in body["details"]["failed"])


def test_hard_delete_refused_per_check_then_accepted(world: World) -> None:
    world.fresh()
    server = world.server
    paid = world.tenant("Erin Roofing")
    server.post_event(checkout_completed(paid))
    server.wait_for(server.settled)
    assert failed_checks(delete(world, paid, confirm="Erin Roofing")) == [
        "alerts_muted",
        "onboarding_incomplete",
        "payment_inactive",
    ]

    dave = world.tenant("Dave's Plumbing", phone="020 7946 0123")
    world.clock.advance(timedelta(hours=3))
    assert world.server.alerts.sweep().opened == 1  # Dave's payment-gate alert
    assert failed_checks(delete(world, dave, confirm="Dave's Plumbing")) == ["alerts_muted"]
    r = server.http.patch(f"/admin/api/tenants/{dave}/mute-alerts", json={}, headers=ADMIN)
    assert r.status_code == 200
    assert failed_checks(delete(world, dave, confirm="Dave's plumbing")) == ["confirmation"]
    assert failed_checks(delete(world, dave)) == ["confirmation"]

    dry = delete(world, dave, confirm="Dave's Plumbing", dry_run="true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["deleted"] is False and dry.json()["failed"] == []
    assert dry.json()["rows"]["alerts"] == 1 and dry.json()["rows"]["tenant_timeline"] >= 1
    assert leftovers(world.server, dave)["tenants"] == 1  # the dry run changed nothing

    r = server.http.request(
        "DELETE",
        f"/admin/api/tenants/{dave}",
        json={"confirm": "Dave's Plumbing"},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text
    assert r.json()["deleted"] is True
    assert leftovers(world.server, dave) == {}
    assert server.http.get(f"/admin/api/tenants/{dave}", headers=ADMIN).status_code == 404
    assert leftovers(world.server, paid)["tenants"] == 1  # the other tenant is untouched
    audit = server.http.get(
        "/admin/api/audit", params={"target": f"tenant:{dave}"}, headers=ADMIN
    ).json()
    assert [e["action"] for e in audit["items"]] == ["tenant.delete", "tenant.mute_alerts"]
    assert audit["items"][0]["before"]["name"] == "Dave's Plumbing"
    with server.runtime.db.read() as session:
        published = session.execute(
            sa.text(
                "SELECT count(*) FROM domain_events WHERE type = 'tenant.delete_requested' "
                "AND tenant_id = :t"
            ),
            {"t": dave},
        ).scalar_one()
    assert published == 1


def test_kill_switch_from_the_cli_is_seen_by_the_server_within_a_second(world: World) -> None:
    world.fresh()
    server = world.server
    flags = server.http.get("/admin/api/flags", headers=ADMIN).json()
    assert {f["name"] for f in flags} >= {
        "signups",
        "checkout",
        "provisioning",
        "dunning",
        "auto_recharge",
    }
    assert all(f["enabled"] and f["failure_mode"] == "closed" for f in flags)

    # The admin API: off, a signup is refused with 503, on again.
    r = server.http.put(
        "/admin/api/flags/signups", json={"enabled": False, "reason": "spam"}, headers=ADMIN
    )
    assert r.status_code == 200 and r.json()["enabled"] is False
    r = server.http.post(
        "/admin/api/tenants", json={"email": "x@example.com", "name": "X"}, headers=ADMIN
    )
    assert r.status_code == 503 and r.json()["error"]["code"] == "signups_disabled"
    server.http.put("/admin/api/flags/signups", json={"enabled": True}, headers=ADMIN)
    assert (
        server.http.put("/admin/api/flags/nope", json={"enabled": True}, headers=ADMIN).status_code
        == 404
    )

    # Another process (the CLI) switches signups off; the server sees it within a second.
    env = os.environ | {
        "STEWARD_DATABASE_URL": server.settings.database_url,
        "STEWARD_PRODUCT": PRODUCT,
        "STEWARD_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),  # this checkout's code
        "USER": "night-ops",
    }
    done = subprocess.run(
        [sys.executable, "-m", "steward", "flags", "off", "signups", "--reason", "abuse"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "signups is OFF" in done.stdout
    started = time.monotonic()
    while True:
        r = server.http.post(
            "/admin/api/tenants", json={"email": "y@example.com", "name": "Y"}, headers=ADMIN
        )
        if r.status_code == 503:
            break
        assert time.monotonic() - started < 1.0, "the server did not see the switch in 1 s"
        time.sleep(0.02)
    listing = subprocess.run(
        [sys.executable, "-m", "steward", "flags", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "OFF" in listing.stdout and "cli:night-ops" in listing.stdout
    audit = server.http.get(
        "/admin/api/audit", params={"target": "flag:signups"}, headers=ADMIN
    ).json()
    assert [e["actor"] for e in audit["items"]] == ["cli:night-ops", "admin", "admin"]


def test_alerts_test_command_reports_every_channel(world: World) -> None:
    world.fresh()
    dead = f"json://127.0.0.1:{free_port()}/"
    env = os.environ | {
        "STEWARD_DATABASE_URL": world.server.settings.database_url,
        "STEWARD_PRODUCT": PRODUCT,
        "STEWARD_LOG_LEVEL": "WARNING",
        "STEWARD_ALERT_URLS": f"{world.rx.url} {dead}",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),  # this checkout's code
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [sys.executable, "-m", "steward", "alerts", "test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.endswith(": ok") for line in lines), done.stdout
    assert any("FAILED" in line for line in lines), done.stdout
    assert "1 of 2 channel(s) failed" in done.stderr
    assert [m["title"] for m in world.rx.messages] == ["[INFO] Steward test alert"]
