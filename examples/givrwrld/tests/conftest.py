"""The db fixture of tests/ (each test on SQLite and PostgreSQL) for this example's tests."""

from tests.conftest import db

__all__ = ["db"]
