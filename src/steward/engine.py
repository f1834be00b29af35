"""DBOS set-up: one durable engine per process, with an explicit application version and a
unique executor id, sharing Steward's database (its tables live beside ours: schema ``dbos`` on
PostgreSQL, the same file on SQLite)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence

import structlog
from dbos import DBOS, DBOSClient

from steward.config import Settings
from steward.events.bus import QUEUE
from steward.executors import Heartbeat
from steward.module import Queue, Schedule
from steward.runtime import Runtime, bind

log = structlog.get_logger("steward.engine")


def executor_id(settings: Settings, role: str) -> str:
    if settings.executor_id:
        return settings.executor_id
    return f"{socket.gethostname()}-{role}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Engine:
    """The durable engine of one process: DBOS, the bus's client, the executor heartbeat."""

    def __init__(
        self, runtime: Runtime, schedules: Sequence[Schedule], queues: Sequence[Queue]
    ) -> None:
        self.runtime = runtime
        self.schedules = schedules
        self.queues = queues
        self.executor_id = ""
        self.heartbeat: Heartbeat | None = None

    def launch(self, role: str) -> str:
        runtime, settings = self.runtime, self.runtime.settings
        bind(runtime)
        self.executor_id = executor_id(settings, role)
        DBOS(
            config={
                "name": "steward",
                "system_database_url": settings.database_url,
                "application_version": settings.app_version,
                "executor_id": self.executor_id,
                "log_level": "WARNING",
                "dbos_system_schema": settings.dbos_schema,
                "notification_listener_polling_interval_sec": (
                    settings.dbos_notification_poll_seconds
                ),
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
        for queue in self.queues:
            DBOS.register_queue(
                queue.name,
                worker_concurrency=queue.concurrency(settings),
                polling_interval_sec=queue.poll_seconds(settings),
            )
        runtime.bus.client = DBOSClient(
            system_database_url=settings.database_url,
            dbos_system_schema=settings.dbos_schema,
            application_name="steward",
        )
        DBOS.apply_schedules(
            [
                {"schedule_name": s.name, "workflow_fn": s.workflow, "schedule": s.cron(settings)}
                for s in self.schedules
            ]
        )
        self.heartbeat = Heartbeat(
            runtime.db,
            runtime.clock,
            self.executor_id,
            role,
            settings.app_version,
            settings.executor_heartbeat_seconds,
            settings.executor_stale_seconds,
        )
        self.heartbeat.start()
        log.info(
            "engine.launched",
            executor_id=self.executor_id,
            app_version=settings.app_version,
            role=role,
        )
        return self.executor_id

    def shutdown(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
            self.heartbeat = None
        client = self.runtime.bus.client
        if client is not None:
            client.destroy()
            self.runtime.bus.client = None
        DBOS.destroy(destroy_registry=False)
        bind(None)
