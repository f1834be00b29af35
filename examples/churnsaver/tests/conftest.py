from __future__ import annotations

from tests.conftest import db

__all__ = ["db"]
