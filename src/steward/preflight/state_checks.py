"""The database and what runs on it: reachable, migrated, matching the models; the schedules
firing, the workers beating, the inbox keeping up, the kill switches where they should be."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from croniter import croniter  # type: ignore[import-untyped]

from steward import migrate
from steward.checks import Check, Finding, Probe
from steward.inbox import repository as inbox_repo
from steward.preflight import repository as repo


def database(probe: Probe) -> Finding:
    db = probe.runtime.db
    started = time.perf_counter()
    with db.read() as session:
        repo.ping(session)
    ms = (time.perf_counter() - started) * 1000
    return Finding(True, f"SELECT 1 on {db.engine.dialect.name} answered in {ms:.0f} ms")


def migrations(probe: Probe) -> Finding:
    current, head = migrate.status(probe.runtime.db)
    evidence = f"current {current or 'base'}, head {head}"
    if current == head:
        return Finding(True, evidence)
    return Finding(False, evidence, "run 'steward migrate up' against this database")


def models(probe: Probe) -> Finding:
    drift = repo.model_drift(probe.runtime.db)
    if not drift:
        return Finding(True, "Alembic autogenerate finds no difference between models and tables")
    shown = "; ".join(drift[:5]) + (f"; … {len(drift) - 5} more" if len(drift) > 5 else "")
    return Finding(
        False,
        f"{len(drift)} difference(s): {shown}",
        "write the missing migration (alembic revision --autogenerate) and apply it",
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def schedules(probe: Probe) -> Finding:
    runtime = probe.runtime
    now = runtime.clock.now()
    rows = repo.schedules(runtime.settings)
    if not rows:
        return Finding(
            False,
            "no schedule registered in the engine's workflow_schedules",
            "start a Steward process with STEWARD_DURABLE_ENGINE on (it applies them)",
        )
    with runtime.db.read() as session:
        started = [_aware(b.started_at) for b in repo.beats(session)]
    up_since = min(started) if started else None
    late: list[str] = []
    notes: list[str] = []
    for row in rows:
        it = croniter(row.cron, now, second_at_beginning=True)
        period = timedelta(seconds=it.get_next(float) - it.get_prev(float))
        allowed = 2 * period + timedelta(seconds=60)
        fired = _aware(datetime.fromisoformat(row.last_fired_at)) if row.last_fired_at else None
        if row.status != "ACTIVE":
            late.append(f"{row.name} is {row.status}")
        elif fired is not None and now - fired > allowed:
            late.append(f"{row.name} last fired {fired:%Y-%m-%d %H:%M:%S} (every {period})")
        elif fired is None and (up_since is None or now - up_since > allowed):
            late.append(f"{row.name} never fired (every {period})")
        else:
            notes.append(
                f"{row.name}: {'fired ' + format(fired, '%H:%M:%S') if fired else 'not due yet'}"
            )
    if late:
        return Finding(
            False,
            f"{len(rows)} schedules; late: " + "; ".join(late),
            "keep one process with the durable engine running (steward worker)",
        )
    return Finding(True, f"{len(rows)} schedules active and on time: " + ", ".join(notes[:12]))


def workers(probe: Probe) -> Finding:
    runtime = probe.runtime
    now = runtime.clock.now()
    stale_after = timedelta(seconds=runtime.settings.executor_stale_seconds)
    with runtime.db.read() as session:
        beats = repo.beats(session)
    live = [b for b in beats if now - _aware(b.heartbeat_at) <= stale_after]
    stale = [b for b in beats if now - _aware(b.heartbeat_at) > stale_after]
    evidence = (
        f"{len(live)} live executor(s) ({', '.join(sorted({b.role for b in live})) or '-'}), "
        f"{len(stale)} stale; limit {stale_after.total_seconds():.0f} s"
    )
    if stale:
        oldest = min(_aware(b.heartbeat_at) for b in stale)
        evidence += f"; oldest stale beat {(now - oldest).total_seconds():.0f} s ago"
    if not live:
        return Finding(False, evidence, "start a worker (steward worker) or the server")
    if stale:
        return Finding(
            False,
            evidence,
            "a process died and no live one took its workflows over: check the logs",
        )
    return Finding(True, evidence)


def inbox(probe: Probe) -> Finding:
    runtime = probe.runtime
    with runtime.db.read() as session:
        backlog = inbox_repo.backlog(session)
    limit = runtime.settings.ready_max_backlog_age_seconds
    oldest = backlog.oldest_open_received_at
    age = (runtime.clock.now() - _aware(oldest)).total_seconds() if oldest else 0.0
    evidence = (
        f"pending {backlog.pending}, retrying {backlog.retrying}, failed {backlog.failed}, "
        f"dead {backlog.dead}; oldest open {age:.0f} s (limit {limit:.0f} s)"
    )
    if backlog.dead or backlog.failed:
        return Finding(
            False,
            evidence,
            "replay or resolve the dead letters: steward inbox, or the cockpit's events",
        )
    if age > limit:
        return Finding(False, evidence, "the inbox is not keeping up: check that workers run")
    return Finding(True, evidence)


def flags(probe: Probe) -> Finding:
    states = probe.runtime.flags.states()
    off = [s for s in states if not s.enabled]
    evidence = ", ".join(f"{s.name}={'on' if s.enabled else 'off'}" for s in states)
    if off:
        who = "; ".join(
            f"{s.name} off by {s.updated_by or '?'}: {s.reason or 'no reason'}" for s in off
        )
        return Finding(
            False,
            f"{evidence} ({who})",
            f'turn it on: PUT /admin/api/flags/{off[0].name} {{"enabled": true}} or the cockpit',
        )
    return Finding(True, evidence)


CHECKS = (
    Check("db.reachable", "the database reachable", database),
    Check("db.migrations", "migrations at head", migrations),
    Check("db.models", "the models match the migrations", models),
    Check("engine.schedules", "scheduled jobs registered and running", schedules),
    Check("engine.workers", "workers alive (heartbeats)", workers),
    Check("inbox.backlog", "webhook backlog young, no dead letters", inbox),
    Check("flags.expected", "kill switches in their launch state (all on)", flags),
)
