"""Kill switches: toggled by one Flags instance, seen by another within a second; failure modes;
every toggle audited in the same transaction."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from steward import migrate
from steward.audit import service as audit
from steward.db import Database
from steward.errors import NotFound
from steward.flags.models import FailureMode
from steward.flags.service import BUILTIN, Flags, FlagSpec
from steward.kit.clock import Clock


def test_toggle_is_seen_elsewhere_within_a_second_and_audited(db: tuple[str, str]) -> None:
    url, _ = db
    one, two = Database(url), Database(url)
    migrate.up(one)
    a, b = Flags(one, Clock(), BUILTIN), Flags(two, Clock(), BUILTIN)
    try:
        assert b.enabled("signups") is True
        a.set("signups", False, actor="ops@example.com", reason="abuse wave")
        assert a.enabled("signups") is False  # at once in the toggling process
        started = time.monotonic()
        while b.enabled("signups"):
            assert time.monotonic() - started < 1.0, "not seen by the other process within 1 s"
            time.sleep(0.02)
        with one.read() as session:
            rows, total = audit.search(session, target="flag:signups")
        assert total == 1 and rows[0].actor == "ops@example.com"
        assert '"enabled": true' in rows[0].before and '"enabled": false' in rows[0].after
        with pytest.raises(NotFound, match="no kill switch named 'nope'"):
            a.enabled("nope")
    finally:
        one.dispose()
        two.dispose()


def test_failure_modes_when_the_database_is_unreadable(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path}/missing-dir/none.sqlite")
    flags = Flags(
        broken, Clock(), [FlagSpec("closed", "x"), FlagSpec("open", "y", FailureMode.OPEN)]
    )
    assert flags.enabled("closed") is False
    assert flags.enabled("open") is True
