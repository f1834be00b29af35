"""Process heartbeats and the takeover of a dead process's durable workflows.

DBOS recovers PENDING workflows only for the executor id that started them, and each Steward
process has a unique id, so a process that dies for good would strand its workflows. Every process
therefore beats in ``executors``; any live process that sees a beat older than the stale limit
claims the dead executor with a guarded DELETE (one claimant wins) and resumes its PENDING
workflows on their own queues. Finished steps are not run again."""

from __future__ import annotations

import threading
from datetime import timedelta

import structlog
from dbos import DBOS

from steward import executors_repository as repo
from steward.db import Database
from steward.kit.clock import Clock

log = structlog.get_logger("steward.executors")


class Heartbeat:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        executor_id: str,
        role: str,
        app_version: str,
        interval: float,
        stale_after: float,
    ) -> None:
        self.db, self.clock = db, clock
        self.executor_id, self.role, self.app_version = executor_id, role, app_version
        self.interval, self.stale_after = interval, stale_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="steward-heartbeat", daemon=True)

    def start(self) -> None:
        self.beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        with self.db.transaction() as session:
            repo.forget(session, self.executor_id)

    def beat(self) -> None:
        now = self.clock.now()
        with self.db.transaction() as session:
            repo.beat(session, self.executor_id, self.role, self.app_version, now)

    def take_over_dead(self) -> list[str]:
        """Claim every stale executor and resume its PENDING workflows; returns the claimed ids."""
        cutoff = self.clock.now() - timedelta(seconds=self.stale_after)
        with self.db.read() as session:
            stale = repo.stale(session, cutoff, but=self.executor_id)
        claimed = []
        for dead in stale:
            with self.db.transaction() as session:
                won = repo.claim(session, dead, cutoff)
            if not won:
                continue  # another process claimed it, or it came back
            claimed.append(dead)
            resumed = 0
            for wf in DBOS.list_workflows(status="PENDING", executor_id=dead):
                DBOS.resume_workflow(wf.workflow_id, queue_name=wf.queue_name)
                resumed += 1
            log.warning("executor.taken_over", dead_executor=dead, resumed_workflows=resumed)
        return claimed

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
                self.take_over_dead()
            except Exception:
                log.exception("executor.heartbeat_failed")
