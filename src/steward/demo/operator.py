"""The demo's cockpit operator: ready to log in with, so a newcomer sees the cockpit at once.

Development only. Each demo run gives the operator a fresh generated password (only its hash is
stored, so the one printed is the one that works); an existing demo operator is kept, not
duplicated."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from steward.config import Mode
from steward.errors import ConfigError
from steward.kit.ids import new_id
from steward.operators import repository as operators_repo
from steward.operators.models import Operator
from steward.operators.service import hash_password
from steward.runtime import Runtime

DEMO_EMAIL = "demo@steward.local"


@dataclass(frozen=True)
class DemoLogin:
    url: str  # the cockpit's login page
    email: str
    password: str


def demo_operator(runtime: Runtime) -> DemoLogin:
    if runtime.settings.mode is not Mode.DEVELOPMENT:
        raise ConfigError(
            "the demo operator exists in development only (STEWARD_MODE=development); "
            "create real operators with 'steward operator create'"
        )
    password = secrets.token_urlsafe(12)
    digest = hash_password(password)
    with runtime.db.transaction() as session:
        found = operators_repo.by_email(session, DEMO_EMAIL)
        if found is None:
            operators_repo.add(
                session,
                Operator(
                    id=new_id("op"),
                    email=DEMO_EMAIL,
                    password_hash=digest,
                    created_at=runtime.clock.now(),
                ),
            )
        else:
            operators_repo.set_password_hash(session, found.id, digest)
    base = runtime.settings.public_url.rstrip("/")
    return DemoLogin(f"{base}/cockpit/login", DEMO_EMAIL, password)
