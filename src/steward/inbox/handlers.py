"""The handler registry: handlers per (source, event type), applied in registration order.

Several domains may listen to one type (billing and wallets both read checkout.session.completed);
each ignores what is not for it. All of an event's handlers share its transaction.

A handler receives a ``HandlerContext`` and applies its change through the session it is given;
the processor marks the event handled in that same transaction, so the effect happens once.
Raise ``PermanentEventError`` for an event that can never apply as it is (not retried); any other
exception is retried with backoff and finally dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from steward.errors import ConfigError
from steward.inbox.models import InboundEvent
from steward.runtime import Runtime


@dataclass
class HandlerContext:
    runtime: Runtime
    session: Session
    event: InboundEvent
    payload: dict[str, Any]
    tenant_id: str | None = None  # set by the handler when it learns the tenant
    notes: list[str] = field(default_factory=list)

    @property
    def data_object(self) -> dict[str, Any]:
        obj = self.payload.get("data", {}).get("object", {})
        return obj if isinstance(obj, dict) else {}


Handler = Callable[[HandlerContext], None]


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], list[Handler]] = {}

    def register(self, source: str, event_type: str, handler: Handler) -> None:
        handlers = self._handlers.setdefault((source, event_type), [])
        if handler in handlers:
            raise ConfigError(f"{handler.__name__} is registered twice for {source} {event_type}")
        handlers.append(handler)

    def get(self, source: str, event_type: str) -> list[Handler]:
        return list(self._handlers.get((source, event_type), ()))

    def types(self, source: str) -> list[str]:
        """The event types of ``source`` some handler applies (what its webhook must send)."""
        return sorted(t for (s, t) in self._handlers if s == source)
