"""Publish domain events; start their subscribers durably in the publishing transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import structlog
from dbos import DBOSClient
from dbos._dbos import _get_or_create_dbos_registry
from sqlalchemy.orm import Session

from steward.errors import ConfigError
from steward.events import repository as repo
from steward.events.models import DomainEvent
from steward.kit.clock import Clock

log = structlog.get_logger("steward.events")

QUEUE = "steward.domain"


def workflow_name(workflow: Callable[..., Any]) -> str:
    """The name DBOS registered ``workflow`` under; a ConfigError for anything else."""
    name = getattr(workflow, "dbos_function_name", None)
    if not isinstance(name, str) or name not in _get_or_create_dbos_registry().workflow_info_map:
        label = getattr(workflow, "__qualname__", repr(workflow))
        raise ConfigError(f"{label} is not a DBOS workflow (@DBOS.workflow(name=...))")
    return name


class DomainEventBus:
    """Subscribers are DBOS workflows taking one argument, the domain event id, registered
    under an explicit name (``@DBOS.workflow(name=...)``)."""

    def __init__(self, clock: Clock, app_version: str) -> None:
        self.clock = clock
        self.app_version = app_version
        self._subscribers: dict[str, list[str]] = defaultdict(list)
        self.client: DBOSClient | None = None  # set when the durable engine launches

    def subscribe(self, event_type: str, workflow: Callable[[int], Any]) -> None:
        name = workflow_name(workflow)
        if name in self._subscribers[event_type]:
            raise ConfigError(f"{name} already subscribes to {event_type}")
        self._subscribers[event_type].append(name)

    def subscribers(self, event_type: str) -> list[str]:
        return list(self._subscribers.get(event_type, ()))

    def publish(
        self,
        session: Session,
        event_type: str,
        *,
        tenant_id: str | None = None,
        data: dict[str, Any] | None = None,
        cause_event_id: int | None = None,
    ) -> DomainEvent:
        event = repo.add(
            session,
            DomainEvent(
                type=event_type,
                tenant_id=tenant_id,
                data=json.dumps(data or {}, sort_keys=True, default=str),
                cause_event_id=cause_event_id,
                created_at=self.clock.now(),
            ),
        )
        names = self.subscribers(event_type)
        client = self.client
        if names and client is None:
            raise ConfigError(
                f"{event_type} has subscribers but the durable engine is not running here"
            )
        for name in names:
            assert client is not None
            client.enqueue_in_transaction(
                session.connection(),
                {
                    "queue_name": QUEUE,
                    "workflow_name": name,
                    "workflow_id": f"{name}:{event.id}",
                    "app_version": self.app_version,
                },
                event.id,
            )
        log.info(
            "domain_event",
            type=event_type,
            domain_event_id=event.id,
            tenant_id=tenant_id,
            subscribers=names,
        )
        return event
