"""DBOS set-up: one durable engine per process, with an explicit application version and a
unique executor id, sharing Steward's database (its tables live beside ours: schema ``dbos`` on
PostgreSQL, the same file on SQLite)."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime
from typing import Any

import structlog
from dbos import DBOS, DBOSClient

from steward import metrics
from steward.config import Settings
from steward.events.bus import QUEUE
from steward.executors import Heartbeat

log = structlog.get_logger("steward.engine")

_runtime: Any = None  # the Steward container, for workflows (module-level functions)


def executor_id(settings: Settings, role: str) -> str:
    if settings.executor_id:
        return settings.executor_id
    return f"{socket.gethostname()}-{role}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def runtime() -> Any:
    if _runtime is None:
        raise RuntimeError("Steward is not running in this process")
    return _runtime


@DBOS.workflow(name="steward.inbox.sweep")
def inbox_sweep(scheduled_at: datetime, _context: Any) -> None:
    """Every minute: publish backlog gauges and wake workers, so nothing waits in silence."""
    sweep_backlog()


@DBOS.step(name="steward.inbox.sweep_backlog")
def sweep_backlog() -> None:
    steward = runtime()
    backlog = steward.backlog()
    metrics.BACKLOG.labels(status="pending").set(backlog.pending)
    metrics.BACKLOG.labels(status="retrying").set(backlog.retrying)
    metrics.BACKLOG.labels(status="failed").set(backlog.failed)
    metrics.BACKLOG.labels(status="dead").set(backlog.dead)
    if backlog.pending or backlog.retrying:
        steward.inbox.wakeup.set()


def launch(settings: Settings, role: str, steward: Any) -> str:
    """Launch DBOS for this process; returns the executor id."""
    global _runtime
    _runtime = steward
    executor = executor_id(settings, role)
    DBOS(
        config={
            "name": "steward",
            "system_database_url": settings.database_url,
            "application_version": settings.app_version,
            "executor_id": executor,
            "log_level": "WARNING",
            "dbos_system_schema": settings.dbos_schema,
        }
    )
    if not settings.run_workflows:
        DBOS.listen_queues([])  # this process enqueues and schedules, but runs no queued work
    DBOS.launch()
    DBOS.register_queue(
        QUEUE,
        worker_concurrency=settings.domain_queue_concurrency,
        polling_interval_sec=settings.domain_queue_poll_seconds,
    )
    for name, options in steward.queues:
        DBOS.register_queue(name, **options)
    steward.bus.client = DBOSClient(
        system_database_url=settings.database_url,
        dbos_system_schema=settings.dbos_schema,
        application_name="steward",
    )
    DBOS.apply_schedules(
        [
            {
                "schedule_name": "steward.inbox.sweep",
                "workflow_fn": inbox_sweep,
                "schedule": "0 * * * * *",
            },
            *steward.schedules,  # the domains' cron schedules (bootstrap)
        ]
    )
    heartbeat = Heartbeat(
        steward.db,
        steward.clock,
        executor,
        role,
        settings.app_version,
        settings.executor_heartbeat_seconds,
        settings.executor_stale_seconds,
    )
    heartbeat.start()
    steward.heartbeat = heartbeat
    log.info("engine.launched", executor_id=executor, app_version=settings.app_version, role=role)
    return executor


def shutdown() -> None:
    global _runtime
    if _runtime is not None and _runtime.heartbeat is not None:
        _runtime.heartbeat.stop()
        _runtime.heartbeat = None
    if _runtime is not None and _runtime.bus.client is not None:
        _runtime.bus.client.destroy()
        _runtime.bus.client = None
    DBOS.destroy(destroy_registry=False)
    _runtime = None
