"""The audit log: every operator action, append-only."""

from __future__ import annotations

from steward.audit import endpoints
from steward.module import Module

MODULE = Module(name="audit", routers=(endpoints.admin,), tables=("audit_log",))
