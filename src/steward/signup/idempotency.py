"""``Idempotency-Key``: the first answer to a key is kept with the request's fingerprint and
replayed for the same key and body; the same key with another body is a 409. Two concurrent
requests with one key: the second's insert fails on the primary key, and it replays the first."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steward.errors import Conflict
from steward.runtime import Runtime
from steward.signup import repository as repo
from steward.signup.models import IdempotentAnswer
from steward.signup.service import Outcome, canonical


class KeyReused(Conflict):
    """This Idempotency-Key was used with another request body; use a new key."""

    code = "idempotency_key_reused"


def _replay(row: IdempotentAnswer, fingerprint: str) -> Outcome:
    if row.fingerprint != fingerprint:
        raise KeyReused()
    kept: dict[str, Any] = json.loads(row.body)
    return Outcome(kept["body"], checkout_plan=kept.get("checkout_plan"))


def run(
    runtime: Runtime,
    route: str,
    key: str | None,
    request: dict[str, Any],
    step: Callable[[Session], Outcome],
    finish: Callable[[Outcome], dict[str, Any]],
    on_conflict: Callable[[], Exception] | None = None,
) -> dict[str, Any]:
    """Run ``step`` and keep its answer in one transaction (or replay the kept answer), then
    ``finish`` after commit (mail, checkout, a fresh step token). A unique-constraint failure
    with no kept answer to replay raises ``on_conflict()`` (e.g. a slug taken meanwhile)."""
    fingerprint = hashlib.sha256(canonical(request).encode()).hexdigest()
    scope = f"{route}:{key}"[:300] if key else None

    def kept() -> Outcome | None:
        if scope is None:
            return None
        with runtime.db.read() as session:
            row = repo.answer(session, scope)
            return _replay(row, fingerprint) if row is not None else None

    replay = kept()
    if replay is not None:
        return finish(replay)
    try:
        with runtime.db.transaction() as session:
            outcome = step(session)
            if scope:
                repo.keep_answer(
                    session,
                    IdempotentAnswer(
                        scope=scope,
                        fingerprint=fingerprint,
                        status_code=200,
                        body=canonical(
                            {"body": outcome.body, "checkout_plan": outcome.checkout_plan}
                        ),
                        created_at=runtime.clock.now(),
                    ),
                )
    except IntegrityError:
        replay = kept()
        if replay is not None:
            return finish(replay)
        if on_conflict is not None:
            raise on_conflict() from None
        raise
    return finish(outcome)
