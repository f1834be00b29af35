"""The demo's cockpit operator on fakes: development only; a second demo keeps one operator and
gives it a new password, the one printed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from steward.config import Mode
from steward.demo.operator import DEMO_EMAIL, demo_operator
from steward.errors import ConfigError, Unauthorized
from steward.operators.service import login
from tests.fakes import fakes


def test_the_demo_operator_logs_in_with_the_latest_password_only() -> None:
    with fakes(public_url="http://127.0.0.1:8123") as f:
        first, second = demo_operator(f.runtime), demo_operator(f.runtime)
        assert first.url == "http://127.0.0.1:8123/cockpit/login" and first.email == DEMO_EMAIL
        assert f.count("operators", email=DEMO_EMAIL) == 1
        assert login(f.runtime, DEMO_EMAIL, second.password).email == DEMO_EMAIL
        with pytest.raises(Unauthorized):
            login(f.runtime, DEMO_EMAIL, first.password)


def test_there_is_no_demo_operator_outside_development() -> None:
    with fakes() as f:
        production = f.runtime.settings.model_copy(update={"mode": Mode.PRODUCTION})
        runtime = replace(f.runtime, settings=production)
        with pytest.raises(ConfigError, match="development only"):
            demo_operator(runtime)
        assert f.count("operators") == 0
