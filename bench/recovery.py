"""Churn recovery benchmark: ``python -m bench.recovery [--cases 1000000] [--companies 10000]
[--db sqlite] [--repeat 3] [--gateway sandbox|stub]``.

Churn Saver (``examples.churnsaver.product``) on a real Steward server (uvicorn in this process,
DBOS, a fresh database, the scheduled tick switched off, a test clock standing still at "now").
Seeded once (not a result, timed apart): ``--companies`` companies (tenants, each with recovery
settings: offsets 1/3/7 days, channels push + dm), ``--cases`` Whop cases spread over them, 3
reminders per case: ~3 % of the cases have one reminder due now (1 % of the reminders), ~22 % are
open with their next reminder in the future, the rest are closed (recovered, cancelled, expired)
with their reminders sent or skipped. Inserted with SQLAlchemy Core executemany in batches of
``--batch`` cases; ANALYZE (VACUUM ANALYZE on PostgreSQL) after.

Per repetition (the due set is put back between repetitions):

1. Finding what is due, read-only or rolled back, the tick's own repository functions called
   directly: ``due_companies`` (the one query a tick starts with), ``give_ups`` (the one it ends
   with), and ``claim_next`` for ``--claim-companies`` due companies, called until it answers
   None, as the tick does (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, then the guarded
   UPDATE), in a transaction rolled back. p50/p95 per call. Target: < 100 ms. EXPLAIN ANALYZE of
   ``due_companies`` and of one claim on PostgreSQL, EXPLAIN QUERY PLAN on SQLite (once).
2. One real tick (``steward.recovery.workflows.tick``) over the whole due set, with the Whop
   sandbox (``--gateway sandbox``, the SDK over HTTP to the sandbox mounted in this server) or an
   in-process stub gateway (``--gateway stub``: no HTTP, Steward's own work only). Reminders sent
   per second (sent / tick wall time), the time the tick spent in ``due_companies``,
   ``claim_next`` (all calls, summed: the database cost of claiming the due set) and
   ``send_reminder``, with p50/p95 per call.
3. Peak RSS of the process (``resource.getrusage``: server, sandbox and seeding included).

Printed and written to ``bench/out/recovery-<timestamp>.json``.

Runtime at full size: seeding 1-3 min; each repetition is dominated by the tick, which claims
~30,000 reminders one ``claim_next`` at a time, each reading every due row of every company
(no index leads with ``company_id``): expect 10-25 min per repetition (less with ``--gateway
stub``), so ``--repeat 1`` for a first look.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

OUT = Path(__file__).parent / "out"
PRODUCT = "examples.churnsaver.product:product"
NEVER = "0 0 0 1 1 *"  # the scheduled tick stays out of the way: the bench ticks itself
OFFSETS = (1, 3, 7)
DAY = 86_400


def _rss_mb() -> dict[str, float | None]:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    current = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        current = round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    return {"peak_mb": round(peak, 1), "current_mb": current}


def _pct(values: list[float]) -> dict[str, Any]:
    """Seconds in, milliseconds out."""
    if not values:
        return {"n": 0}
    s = sorted(values)
    if len(s) > 1:
        q = statistics.quantiles(s, n=100, method="inclusive")
        p50, p95 = q[49], q[94]
    else:
        p50 = p95 = s[0]
    return {
        "n": len(s),
        "p50": round(p50 * 1000, 3),
        "p95": round(p95 * 1000, 3),
        "max": round(s[-1] * 1000, 3),
        "sum": round(sum(s) * 1000, 1),
    }


# -- seeding --------------------------------------------------------------------------------------
def _seed(server: Any, n_cases: int, n_companies: int, now: datetime, batch: int) -> dict[str, Any]:
    from steward.recovery.models import (
        CaseState,
        RecoveryCase,
        RecoverySettings,
        Reminder,
        ReminderState,
    )
    from steward.tenants.models import BillingStatus, PaymentStatus, Tenant

    db = server.runtime.db
    started = time.monotonic()
    companies = [f"co_{c:05d}" for c in range(n_companies)]
    with db.connection() as conn:
        conn.execute(
            sa.insert(Tenant),
            [
                dict(
                    id=c,
                    email=f"owner@{c}.example",
                    name=f"Company {c}",
                    phone=None,
                    plan="install",
                    payment_status=PaymentStatus.ACTIVE,
                    billing_status=BillingStatus.ACTIVE,
                    created_at=now,
                    updated_at=now,
                )
                for c in companies
            ],
        )
        conn.execute(
            sa.insert(RecoverySettings),
            [
                dict(
                    company_id=c,
                    whop_company_id=f"biz_{c}",
                    whop_experience_id=f"exp_{c}",
                    offsets_days=json.dumps(list(OFFSETS)),
                    channels=json.dumps(["push", "dm"]),
                    incentive_days=0,
                    incentive_coupon=None,
                    attempts_before_cancel=3,
                    final_action="cancel",
                    quiet_start_hour=None,
                    quiet_end_hour=None,
                    updated_at=now,
                )
                for c in companies
            ],
        )
    rng = random.Random(20261201)
    closed_states = (CaseState.RECOVERED, CaseState.CANCELLED, CaseState.EXPIRED)
    due: list[tuple[str, str, str]] = []  # (membership, user, company) of the due cases
    counts: dict[str, Any] = {"cases": 0, "reminders": 0, "due_reminders": 0, "open_cases": 0}
    for start in range(0, n_cases, batch):
        cases: list[dict[str, Any]] = []
        reminders: list[dict[str, Any]] = []
        for i in range(start, min(start + batch, n_cases)):
            k, u = rng.randrange(100), rng.random()
            company = companies[i % n_companies]
            case_id, member, user = f"rc_b{i:09d}", f"mem_b{i:09d}", f"user_b{i:09d}"
            due_seq = 0
            if k < 3:  # one reminder (seq k+1) fell due in the last minute
                due_seq = k + 1
                opened = now - timedelta(days=OFFSETS[k], seconds=1 + u * 58)
                state, n_sent = CaseState.OPEN, k
            elif k < 25:  # open, the next reminder still ahead
                opened = now - timedelta(seconds=3600 + u * 6 * DAY)
                state = CaseState.OPEN
                n_sent = sum(1 for off in OFFSETS if opened + timedelta(days=off) <= now)
            else:  # closed long ago
                opened = now - timedelta(days=8 + u * 365)
                state = closed_states[0 if k < 60 else 1 if k < 85 else 2]
                n_sent = {CaseState.RECOVERED: k % 4, CaseState.CANCELLED: 3}.get(state, k % 3)
            last_sent = None
            for seq, off in enumerate(OFFSETS, start=1):
                due_at = opened + timedelta(days=off)
                sent_at = None
                if seq <= n_sent:
                    r_state, sent_at = ReminderState.SENT, due_at + timedelta(seconds=30)
                    last_sent = sent_at
                elif seq == due_seq or state is CaseState.OPEN:
                    r_state = ReminderState.PENDING
                else:
                    r_state = ReminderState.SKIPPED
                reminders.append(
                    dict(
                        case_id=case_id,
                        company_id=company,
                        seq=seq,
                        due_at=due_at,
                        state=r_state,
                        tries=1 if sent_at else 0,
                        claimed_at=sent_at,
                        sent_at=sent_at,
                        last_error=None,
                    )
                )
            is_open = state is CaseState.OPEN
            closed_at = None if is_open else opened + timedelta(days=1 + k % 7)
            recovered = state is CaseState.RECOVERED
            cases.append(
                dict(
                    id=case_id,
                    company_id=company,
                    provider="whop",
                    membership_id=member,
                    open_key=f"whop:{member}" if is_open else None,
                    user_id=user,
                    email=f"{user}@members.example",
                    phone=None,
                    state=state,
                    amount_due=2500,
                    currency="usd",
                    failed_payment_id=f"pay_b{i:09d}",
                    failure_message="Your card has insufficient funds.",
                    opened_at=opened,
                    closed_at=closed_at,
                    recovered_amount=2500 if recovered else None,
                    recovered_at=closed_at if recovered else None,
                    attempts=n_sent,
                    last_nudge_at=last_sent,
                    incentive_applied=False,
                    give_up_at=opened + timedelta(days=OFFSETS[-1] + 1),
                    updated_at=closed_at or opened,
                )
            )
            counts["open_cases"] += is_open
            if due_seq:
                due.append((member, user, company))
        with db.connection() as conn:
            conn.execute(sa.insert(RecoveryCase), cases)
            conn.execute(sa.insert(Reminder), reminders)
        counts["cases"] += len(cases)
        counts["reminders"] += len(reminders)
    counts["due_reminders"] = len(due)
    inserted = time.monotonic() - started
    tables = ["tenants", "recovery_settings", "recovery_cases", "recovery_reminders"]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            verb = "VACUUM ANALYZE" if db.dialect == "postgresql" else "ANALYZE"
            conn.exec_driver_sql(f"{verb} {table}")
    counts["insert_seconds"] = round(inserted, 1)
    counts["seconds"] = round(time.monotonic() - started, 1)
    counts["rows_per_second"] = round((counts["cases"] + counts["reminders"]) / inserted)
    counts["_due"] = due
    return counts


def _sandbox_members(server: Any, due: list[tuple[str, str, str]]) -> None:
    """The due cases' memberships and users, put straight into the Whop sandbox's store (no
    events, no webhooks): what Steward retrieves and messages while sending."""
    sandbox = server.app.state.sandboxes.whop
    store = sandbox.store
    with store.lock:
        biz = store.company({"id": "biz_bench_template", "title": "Bench"})
        plan = store.plan({"id": "plan_bench", "price": 2500, "currency": "usd"}, biz)
        user = store.user({"id": "user_bench_template"})
        template = store.new_membership(user, biz, plan, "past_due")
        del store.memberships[template["id"]]
        accounts: dict[str, dict[str, Any]] = {}
        for member, user_id, company in due:
            account = accounts.get(company)
            if account is None:
                account = store.company({"id": f"biz_{company}", "title": company})
                accounts[company] = account
            m = dict(template)
            m.update(
                id=member,
                user_id=user_id,
                account=account,
                manage_url=f"https://whop.com/billing/manage/{member}",
            )
            store.memberships[member] = m
            store.user({"id": user_id})


class StubWhop:
    """A Whop gateway answering at once, in process: the sends without the HTTP round trips."""

    def __init__(self) -> None:
        self.calls = 0

    def retrieve_membership(self, membership_id: str) -> Any:
        from steward.providers.whop import Membership

        self.calls += 1
        return Membership(
            id=membership_id,
            status="past_due",
            user_id=None,
            company_id="biz_stub",
            company_title="Stub",
            plan_id="plan_stub",
            product_id="prod_stub",
            cancel_at_period_end=False,
            renewal_period_start=None,
            renewal_period_end=None,
            canceled_at=None,
            manage_url=f"https://whop.com/billing/manage/{membership_id}",
            renewal_amount=2500,
            currency="usd",
            updated_at=None,
        )

    def send_push(self, *, user_id: str, title: str, **_: Any) -> Any:
        from steward.providers.whop import PushNotification

        self.calls += 1
        return PushNotification(queued=True, user_ids=(user_id,), title=title)

    def send_direct_message(self, *, user_id: str, content: str, **_: Any) -> Any:
        from steward.providers.whop import DirectMessage

        self.calls += 1
        return DirectMessage(
            id=f"post_{self.calls}",
            channel_id=f"feed_{user_id}",
            user_id=user_id,
            content=content,
            created_at=None,
        )


# -- measuring ------------------------------------------------------------------------------------
class _Rollback(Exception):
    pass


@contextlib.contextmanager
def _timing(targets: list[tuple[Any, str]]) -> Iterator[dict[str, list[float]]]:
    """Wrap module functions, collecting each call's duration by name; restored after."""
    times: dict[str, list[float]] = {name: [] for _, name in targets}
    saved = [(mod, name, getattr(mod, name)) for mod, name in targets]

    def wrap(f: Callable[..., Any], bucket: list[float]) -> Callable[..., Any]:
        def timed(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return f(*a, **kw)
            finally:
                bucket.append(time.perf_counter() - t)

        return timed

    for mod, name, f in saved:
        setattr(mod, name, wrap(f, times[name]))
    try:
        yield times
    finally:
        for mod, name, f in saved:
            setattr(mod, name, f)


def _explain(server: Any, now: datetime, stale: datetime, company: str) -> dict[str, list[str]]:
    from steward.recovery import repository as repo
    from steward.recovery.models import Reminder

    db = server.runtime.db
    due_q = (
        sa.select(Reminder.company_id)
        .where(repo._due(now, stale))
        .group_by(Reminder.company_id)
        .order_by(sa.func.min(Reminder.due_at))
    )
    claim_q = (
        sa.select(Reminder.id, Reminder.state)
        .where(Reminder.company_id == company, repo._due(now, stale), Reminder.id.not_in(()))
        .order_by(Reminder.due_at, Reminder.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    plans: dict[str, list[str]] = {}
    for label, query in (("due_companies", due_q), ("claim_next", claim_q)):
        sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        with contextlib.suppress(_Rollback), db.transaction() as session:
            if db.dialect == "postgresql":
                rows = session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars()
                plans[label] = list(rows)
            else:  # SQLite: the plan only (no ANALYZE)
                rows = session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)).all()
                plans[label] = [str(row[-1]) for row in rows]
            raise _Rollback
    return plans


def _find(
    server: Any, now: datetime, stale: datetime, samples: int, n_claim: int
) -> dict[str, Any]:
    """The tick's find queries, called directly: read-only, or rolled back."""
    from steward.recovery import repository as repo

    db = server.runtime.db
    t_due: list[float] = []
    t_give: list[float] = []
    due_companies: list[str] = []
    for _ in range(samples):
        with db.read() as session:
            t = time.perf_counter()
            due_companies = repo.due_companies(session, now, stale)
            t_due.append(time.perf_counter() - t)
        with db.read() as session:
            t = time.perf_counter()
            repo.give_ups(session, now)
            t_give.append(time.perf_counter() - t)
    step = max(1, len(due_companies) // max(n_claim, 1))
    picked = due_companies[::step][:n_claim]
    per_call: list[float] = []
    per_company: list[float] = []
    claimed = 0
    for company in picked:
        with contextlib.suppress(_Rollback), db.transaction() as session:
            tried: list[int] = []
            total = 0.0
            while True:
                t = time.perf_counter()
                got = repo.claim_next(session, company, now, stale, db.dialect, exclude=tried)
                dt = time.perf_counter() - t
                per_call.append(dt)
                total += dt
                if got is None:
                    break
                tried.append(got)
            claimed += len(tried)
            per_company.append(total)
            raise _Rollback
    return {
        "due_companies": len(due_companies),
        "due_companies_ms": _pct(t_due),
        "give_ups_ms": _pct(t_give),
        "claim_next_ms": _pct(per_call),
        "claims_per_company_ms": _pct(per_company),
        "claim_sampled": {"companies": len(picked), "reminders": claimed},
        "_companies": due_companies,
    }


def _tick(server: Any, runtime: Any, now: datetime) -> dict[str, Any]:
    from steward.recovery import repository as repo
    from steward.recovery import workflows
    from steward.recovery.models import Reminder, ReminderState

    targets = [
        (repo, "due_companies"),
        (repo, "claim_next"),
        (repo, "give_ups"),
        (workflows, "send_reminder"),
    ]
    rss_before = _rss_mb()
    with _timing(targets) as times:
        t = time.perf_counter()
        report = workflows.tick(runtime)
        elapsed = time.perf_counter() - t
    with server.runtime.db.read() as session:
        sent_rows = session.execute(
            sa.select(sa.func.count())
            .select_from(Reminder)
            .where(Reminder.state == ReminderState.SENT, Reminder.sent_at == now)
        ).scalar_one()
    find_db = sum(times["due_companies"]) + sum(times["claim_next"])
    return {
        "seconds": round(elapsed, 2),
        "sent": report.sent,
        "failed": report.failed,
        "paused": report.paused,
        "closed": report.closed,
        "skipped_companies": len(report.skipped_companies),
        "reminders_sent_in_db": sent_rows,
        "reminders_per_second": round(report.sent / elapsed, 1) if elapsed else None,
        "send_only_per_second": round(report.sent / sum(times["send_reminder"]), 1)
        if times["send_reminder"]
        else None,
        "find_and_claim_db_ms": round(find_db * 1000, 1),
        "in_tick_ms": {name: _pct(v) for name, v in times.items()},
        "rss_before_mb": rss_before,
        "rss_after_mb": _rss_mb(),
    }


def _reset(server: Any, now: datetime) -> None:
    """Put the due set back as seeded: pending, untried, no audit rows, no breaker."""
    db = server.runtime.db
    with db.connection() as conn:
        conn.execute(
            sa.text(
                "UPDATE recovery_reminders SET state = 'pending', tries = 0, claimed_at = NULL, "
                "sent_at = NULL, last_error = NULL WHERE claimed_at = :now "
                "OR (tries > 0 AND state IN ('pending', 'claimed', 'failed'))"
            ),
            {"now": now.replace(tzinfo=None) if db.dialect == "sqlite" else now},
        )
        conn.execute(
            sa.text(
                "UPDATE recovery_cases SET attempts = attempts - 1, last_nudge_at = NULL "
                "WHERE last_nudge_at = :now"
            ),
            {"now": now.replace(tzinfo=None) if db.dialect == "sqlite" else now},
        )
        conn.execute(sa.text("DELETE FROM recovery_actions"))
        conn.execute(sa.text("DELETE FROM recovery_breakers"))
    sandbox = server.app.state.sandboxes.whop
    if sandbox is not None:  # the same keys next time must be sent, not replayed
        with sandbox.store.lock:
            sandbox.store.idempotency.clear()
            sandbox.store.sent.clear()


def _line(label: str, f: dict[str, Any]) -> str:
    if not f.get("n"):
        return f"  {label:<28} -"
    return f"  {label:<28} p50 {f['p50']} ms  p95 {f['p95']} ms  (n={f['n']}, sum {f['sum']} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions on the one seeded db")
    parser.add_argument("--gateway", choices=["sandbox", "stub"], default="sandbox")
    parser.add_argument("--batch", type=int, default=10_000, help="cases per insert batch")
    parser.add_argument("--samples", type=int, default=10, help="due_companies calls per rep")
    parser.add_argument(
        "--claim-companies", type=int, default=50, help="companies claimed, rolled back"
    )
    args = parser.parse_args()

    from tests.support import Server, database, free_port, settings_for

    from steward.bootstrap import build
    from steward.kit.clock import TestClock

    result: dict[str, Any] = {
        "benchmark": "recovery",
        "db": args.db,
        "cases": args.cases,
        "companies": args.companies,
        "repeat": args.repeat,
        "gateway": args.gateway,
        "loadavg_start": os.getloadavg(),
        "started_at": datetime.now(UTC).isoformat(),
        "targets": {"find_due_ms": 100},
        "repetitions": [],
    }
    with database(args.db, Path(tempfile.mkdtemp())) as db:
        settings = settings_for(
            *db,
            port=free_port(),
            product=PRODUCT,
            recovery_tick_cron=NEVER,
            log_level="ERROR",
            app_version=f"bench-{uuid.uuid4().hex[:8]}",
        )
        result["settings"] = {
            k: getattr(settings, k)
            for k in (
                "recovery_company_budget_seconds",
                "recovery_claim_stale_seconds",
                "recovery_breaker_failures",
            )
        }
        clock = TestClock()
        now = clock.now()
        with Server(settings, build(settings, clock=clock)) as server:
            result["rss_after_start_mb"] = _rss_mb()
            print(f"seeding {args.cases} cases across {args.companies} companies ...", flush=True)
            seeded = _seed(server, args.cases, args.companies, now, args.batch)
            due = seeded.pop("_due")
            runtime = server.runtime
            if args.gateway == "sandbox":
                _sandbox_members(server, due)
            else:
                runtime = dataclasses.replace(runtime, whop=StubWhop())
            del due
            result["seed"] = seeded
            result["rss_after_seed_mb"] = _rss_mb()
            print(f"seeded (not a result): {seeded}", flush=True)
            stale = now - timedelta(seconds=settings.recovery_claim_stale_seconds)
            companies = _find(server, now, stale, 1, 1)["_companies"]
            if companies:  # PostgreSQL: EXPLAIN ANALYZE; SQLite: EXPLAIN QUERY PLAN
                result["explain"] = _explain(server, now, stale, companies[0])
                for label, plan in result["explain"].items():
                    print(f"EXPLAIN {label}:\n    " + "\n    ".join(plan))
            for rep in range(args.repeat):
                if rep:
                    _reset(server, now)
                find = _find(server, now, stale, args.samples, args.claim_companies)
                find.pop("_companies")
                tick = _tick(server, runtime, now)
                r = {"find": find, "tick": tick, "rss": _rss_mb()}
                result["repetitions"].append(r)
                print(f"repetition {rep + 1}/{args.repeat}:", flush=True)
                print(f"  due companies: {find['due_companies']}", flush=True)
                print(_line("due_companies query", find["due_companies_ms"]))
                print(_line("give_ups query", find["give_ups_ms"]))
                print(_line("claim_next (rolled back)", find["claim_next_ms"]))
                print(_line("claims of one company", find["claims_per_company_ms"]))
                print(
                    f"  tick: sent {tick['sent']} (in db {tick['reminders_sent_in_db']}), failed "
                    f"{tick['failed']}, {tick['seconds']} s, {tick['reminders_per_second']} "
                    f"reminders/s ({tick['send_only_per_second']}/s in send_reminder alone); "
                    f"due_companies + every claim_next: {tick['find_and_claim_db_ms']} ms",
                    flush=True,
                )
                for name, f in tick["in_tick_ms"].items():
                    print(_line(f"in tick: {name}", f))
                print(f"  rss: {r['rss']}", flush=True)
    reps = result["repetitions"]

    def med(get: Callable[[dict[str, Any]], Any]) -> Any:
        values = [v for v in (get(r) for r in reps) if v is not None]
        return round(statistics.median(values), 3) if values else None

    result["median"] = {
        "due_companies_p50_ms": med(lambda r: r["find"]["due_companies_ms"].get("p50")),
        "due_companies_p95_ms": med(lambda r: r["find"]["due_companies_ms"].get("p95")),
        "give_ups_p50_ms": med(lambda r: r["find"]["give_ups_ms"].get("p50")),
        "claim_next_p50_ms": med(lambda r: r["find"]["claim_next_ms"].get("p50")),
        "claim_next_p95_ms": med(lambda r: r["find"]["claim_next_ms"].get("p95")),
        "tick_find_and_claim_db_ms": med(lambda r: r["tick"]["find_and_claim_db_ms"]),
        "tick_claim_next_p50_ms": med(lambda r: r["tick"]["in_tick_ms"]["claim_next"].get("p50")),
        "tick_claim_next_p95_ms": med(lambda r: r["tick"]["in_tick_ms"]["claim_next"].get("p95")),
        "tick_seconds": med(lambda r: r["tick"]["seconds"]),
        "reminders_per_second": med(lambda r: r["tick"]["reminders_per_second"]),
        "send_reminder_p50_ms": med(lambda r: r["tick"]["in_tick_ms"]["send_reminder"].get("p50")),
        "send_reminder_p95_ms": med(lambda r: r["tick"]["in_tick_ms"]["send_reminder"].get("p95")),
    }
    result["peak_rss_mb"] = _rss_mb()["peak_mb"]
    result["loadavg_end"] = os.getloadavg()
    print(f"median of {len(reps)} repetitions ({args.gateway} gateway):")
    for key, value in result["median"].items():
        print(f"  {key:<30} {value}")
    print(f"  peak RSS                       {result['peak_rss_mb']} MB")
    OUT.mkdir(exist_ok=True)
    out = OUT / f"recovery-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
