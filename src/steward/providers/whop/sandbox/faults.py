"""What goes wrong, on the API and on the webhook wire. Read at each request and delivery."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from typing import Any

_COUNTS = ("fail_next", "delay_ms", "duplicate", "webhook_delay_ms", "drop_next")


@dataclass
class Faults:
    # the API
    fail_next: int = 0  # the next N authenticated API calls answer fail_status
    fail_status: int = 500
    delay_ms: int = 0  # added before every API answer
    # webhooks
    duplicate: int = 0  # extra identical deliveries after each first attempt
    webhook_delay_ms: int = 0  # before the first attempt of each new event
    drop_next: int = 0  # the next N events are never delivered
    drop_types: set[str] = field(default_factory=set)  # these types are never delivered
    reorder: bool = False  # hold new events; WhopSandbox.flush() sends them newest first
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name[0] != "_"}
        return {**data, "drop_types": sorted(self.drop_types)}

    def update(self, changes: Any) -> None:
        """Apply a JSON object of changes, all or nothing; ValueError names a bad one."""
        if not isinstance(changes, dict):
            raise ValueError("faults must be a JSON object")
        for name, value in changes.items():
            ok = (
                (name in _COUNTS and type(value) is int and value >= 0)
                or (name == "fail_status" and type(value) is int and 400 <= value <= 599)
                or (name == "reorder" and isinstance(value, bool))
                or (
                    name == "drop_types"
                    and isinstance(value, list)
                    and all(isinstance(v, str) for v in value)
                )
            )
            if not ok:
                raise ValueError(f"invalid fault {name}: {value!r}")
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, set(value) if name == "drop_types" else value)

    def take_failure(self) -> int | None:
        """The status to fail this call with, counting it down; None to answer normally."""
        with self._lock:
            if self.fail_next <= 0:
                return None
            self.fail_next -= 1
            return self.fail_status

    def take_drop(self, type: str) -> bool:
        with self._lock:
            if type in self.drop_types:
                return True
            if self.drop_next > 0:
                self.drop_next -= 1
                return True
            return False
