"""Kill switches on fakes: a change joins the caller's transaction and is audited there; an
unreadable database reads as each flag's declared failure mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.db import Database
from steward.errors import NotFound
from steward.flags.models import FailureMode
from steward.flags.service import Flags, FlagSpec
from steward.kit.clock import TestClock
from tests.fakes import fakes


def test_a_change_commits_with_its_audit_entry_or_not_at_all() -> None:
    with fakes() as f:
        flags = f.runtime.flags
        with pytest.raises(RuntimeError), f.db.transaction() as session:
            flags.change(session, "signups", False, actor="ops", reason="abuse")
            raise RuntimeError("rolled back")
        assert flags.enabled("signups") is True and f.count("audit_log") == 0
        with f.db.transaction() as session:
            state = flags.change(session, "signups", False, actor="ops", reason="abuse")
        assert state.enabled is False and state.reason == "abuse"
        assert flags.enabled("signups") is False
        assert f.count("audit_log", action="flag.set", target="flag:signups") == 1
        with pytest.raises(NotFound, match="no kill switch named 'nope'"):
            flags.enabled("nope")


def test_failure_modes_when_the_database_cannot_be_read(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path}/missing-dir/none.sqlite")
    specs = [FlagSpec("closed", "x"), FlagSpec("open", "y", FailureMode.OPEN)]
    flags = Flags(broken, TestClock(), specs, ttl=0)
    try:
        assert flags.enabled("closed") is False
        assert flags.enabled("open") is True
    finally:
        broken.dispose()
