"""Operations: health, readiness and metrics."""

from __future__ import annotations

from steward.module import Module
from steward.ops import endpoints

MODULE = Module(name="ops", routers=(endpoints.router,))
