"""Migrations up, down, up on both databases, through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from steward.db import Database
from tests.support import ROOT

OURS = {"inbound_events", "tenants", "tenant_timeline"}


def steward(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"STEWARD_DATABASE_URL": url, "STEWARD_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "steward", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def tables(url: str) -> set[str]:
    db = Database(url)
    try:
        return set(sa.inspect(db.engine).get_table_names()) & (OURS | {"alembic_version"})
    finally:
        db.dispose()


def test_up_down_up(db: tuple[str, str]) -> None:
    url, _ = db
    assert steward(["migrate", "status"], url).stdout.split()[1] == "base"
    up = steward(["migrate", "up"], url)
    assert up.returncode == 0, up.stderr
    assert tables(url) >= OURS
    assert "up to date" in steward(["migrate", "status"], url).stdout
    down = steward(["migrate", "down", "base"], url)
    assert down.returncode == 0, down.stderr
    assert tables(url) & OURS == set()
    assert steward(["migrate", "up"], url).returncode == 0
    assert tables(url) >= OURS


def test_bad_cli_input_exits_non_zero_with_one_line(db: tuple[str, str]) -> None:
    url, _ = db
    steward(["migrate", "up"], url)
    r = steward(["events", "list", "--status", "bogus"], url)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error: unknown status 'bogus'")
    r = steward(["events", "replay", "999"], url)
    assert r.returncode == 2 and r.stderr.strip() == "error: event 999 does not exist"


def test_production_mode_refuses_to_start_without_secrets(tmp_path: object) -> None:
    env = os.environ | {"STEWARD_MODE": "production", "STEWARD_DATABASE_URL": "sqlite:///:memory:"}
    r = subprocess.run(
        [sys.executable, "-m", "steward", "serve", "--port", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "STEWARD_ADMIN_TOKEN is missing or a placeholder" in r.stderr
