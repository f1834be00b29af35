"""JobRun's phone numbers (seed 000): each client gets a number from the ``numbers`` pool when
activated, and gives it back when deprovisioned (before a hard delete).

Seed the pool from a file or the CLI (``steward pool add numbers --file
examples/jobrun/numbers.txt --low-watermark 5``); below the watermark ``pool.low`` is raised for
the alerts, and an empty pool makes a new client's run wait (up to a day) until numbers are added,
instead of launching with none, as JobRun did.
"""

from __future__ import annotations

from steward.provisioning import kinds

POOL = "numbers"
ASSIGN_NUMBER = kinds.allocate(POOL, "assign_number", wait_timeout_seconds=24 * 3600)
STEPS = (ASSIGN_NUMBER,)
