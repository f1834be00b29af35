"""A recovery worker process for the fault tests: builds Steward from the environment and runs
the reminder tick in a loop (what the scheduled workflow does each minute), until killed or
until nothing is left to send."""

from __future__ import annotations

import time

import sqlalchemy as sa

from steward.bootstrap import build
from steward.config import Settings
from steward.recovery import workflows


def main() -> None:
    steward = build(Settings())
    runtime = steward.runtime
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workflows.tick(runtime)
        with runtime.db.read() as session:
            left = session.execute(
                sa.text(
                    "SELECT count(*) FROM recovery_reminders WHERE state IN ('pending', 'claimed')"
                )
            ).scalar_one()
        if not left:
            return
        time.sleep(0.1)


if __name__ == "__main__":
    main()
