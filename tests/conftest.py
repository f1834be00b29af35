from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import database

DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(params=DATABASES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(url, dbos schema) of a fresh database; every test using it runs on both."""
    with database(request.param, tmp_path) as value:
        yield value
