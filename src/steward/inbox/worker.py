"""Worker threads that drain the inbox. Any number of processes may run them at once: on
PostgreSQL each claim skips rows locked by another worker; on SQLite writers take turns."""

from __future__ import annotations

import threading

import structlog

from steward.inbox.service import Inbox

log = structlog.get_logger("steward.worker")


class InboxWorkers:
    def __init__(self, inbox: Inbox, count: int, poll_seconds: float) -> None:
        self.inbox = inbox
        self.count = count
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.count):
            thread = threading.Thread(target=self._run, name=f"steward-inbox-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.inbox.wakeup.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.inbox.process_next():
                    continue
            except Exception:  # a database hiccup must not kill the worker
                log.exception("worker.error")
                self._stop.wait(self.poll_seconds)
                continue
            self.inbox.wakeup.wait(self.poll_seconds)
            self.inbox.wakeup.clear()
