"""The audit log on fakes: an entry joins the caller's transaction; search filters and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from steward.audit import service as audit
from tests.fakes import fakes


def test_record_commits_with_its_action_and_search_pages_newest_first() -> None:
    with fakes() as f:
        with f.db.transaction() as session:
            for n in range(3):
                audit.record(
                    session,
                    f.clock.advance(timedelta(seconds=1)),
                    actor="ops@example.com" if n < 2 else "cli:night",
                    action="flag.set",
                    target="flag:signups",
                    after={"n": n},
                )
        with pytest.raises(RuntimeError), f.db.transaction() as session:
            audit.record(session, f.clock.now(), actor="x", action="a", target="flag:signups")
            raise RuntimeError("the action failed: its audit entry goes with it")
        with f.db.read() as session:
            rows, total = audit.search(session, target="flag:signups", limit=2)
            assert total == 3 and [r.after for r in rows] == ['{"n": 2}', '{"n": 1}']
            rows, total = audit.search(session, actor="ops@example.com", offset=1)
            assert total == 2 and [r.after for r in rows] == ['{"n": 0}']
