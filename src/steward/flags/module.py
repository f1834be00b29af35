"""Kill switches, seen by every process within a second."""

from __future__ import annotations

from steward.flags import endpoints
from steward.module import Module

MODULE = Module(name="flags", routers=(endpoints.admin,), tables=("flags",))
