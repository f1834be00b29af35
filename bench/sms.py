"""JobRun SMS onboarding benchmark: ``python -m bench.sms [--rate 50] [--seconds 20]
[--conversations 10000] [--db sqlite] [--repeat 3]``.

JobRun (``examples.jobrun.product:product``) on a real Steward server (uvicorn in this process,
DBOS, a fresh database per repetition, the Twilio sandbox mounted in it), settings as
tests.support.settings_for gives them (``--set name=value`` overrides any; the JSON records them).

1. Inbound SMS -> reply handed to Twilio. ``--rate`` new conversations per second for
   ``--seconds`` (paced by a scheduler thread, run in a thread pool over one httpx client): each
   is a new handset that misses a call to JobRun's number (a signed Twilio form POST to
   ``/webhooks/twilio/voice``, CallStatus=no-answer) and then answers S1..S4 (``--texts``, 4 by
   default: business name, trade, area, email; the email's reply is the S5 payment link), each a
   signed form POST to ``/webhooks/twilio/sms`` sent once the previous reply arrived. Latency of
   each: from the POST's start to the moment the reply reached the sandbox (its
   ``Store.new_message`` for an outbound-api message to that handset, timed in this process with
   perf_counter: the sandbox's own dates are whole seconds). p50/p95/max per step and over all
   texts (target p95 < 150 ms), the POST's own round trip, and the achieved rates (conversations
   and texts per second over the window; a scheduler falling behind shows as lag).
2. The stuck sweep over open conversations: ``server.alerts.sweep()`` (every JobRun rule) and the
   onboarding stuck rule's query alone (``repository.dwelling``), median of ``--sweeps`` (5) each,
   first with 0 conversations (the baseline), then after inserting ``--conversations`` onboarding
   conversations (and their tenants) directly, spread over S1..S9, ``--stuck`` of them (1 %)
   past their dwell time (the first sweep after the insert opens their alerts: shown apart).

Printed and written to ``bench/out/sms-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

OUT = Path(__file__).parent / "out"
PRODUCT = "examples.jobrun.product:product"
ANSWERS = ("Ace Plumbing", "plumber", "Leeds LS1", "owner@aceplumbing.example")
STEPS = ("missed_call", "S1", "S2", "S3", "S4")
SHOWN = ("inbox_poll_seconds", "domain_queue_poll_seconds", "domain_queue_concurrency",
         "dbos_notification_poll_seconds", "twilio_from_number")  # fmt: skip
STATES = ("S1_BUSINESS_NAME", "S2_TRADE", "S3_AREA", "S4_EMAIL", "S5_CONFIRM_LIVE",
          "S6_ASSIGN_NUMBER", "S7_FORWARDING", "S8_REPLY_TEXT", "S9_TEST_CALL")  # fmt: skip


def _pct(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    s = sorted(values)
    if len(s) == 1:
        p50 = p95 = s[0]
    else:
        q = statistics.quantiles(s, n=100, method="inclusive")
        p50, p95 = q[49], q[94]
    return {"n": len(s), "p50": round(p50 * 1000, 2), "p95": round(p95 * 1000, 2),
            "max": round(s[-1] * 1000, 2), "mean": round(statistics.mean(s) * 1000, 2)}  # fmt: skip


class Replies:
    """Times (perf_counter) of the outbound messages the sandbox accepted, by handset."""

    def __init__(self, store: Any) -> None:
        self.cond = threading.Condition()
        self.at: dict[str, list[float]] = {}
        original = store.new_message

        def new_message(**kw: Any) -> Any:
            message = original(**kw)
            if kw.get("direction") == "outbound-api":
                now = time.perf_counter()
                with self.cond:
                    self.at.setdefault(kw["to"], []).append(now)
                    self.cond.notify_all()
            return message

        store.new_message = new_message

    def wait(self, phone: str, seen: int, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.at.get(phone, ())) <= seen:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.at[phone][seen]


def _forms(account: str, phone: str, to: str) -> tuple[dict[str, str], Any]:
    base = {"AccountSid": account, "ApiVersion": "2010-04-01", "From": phone, "To": to,
            "FromCountry": "GB", "ToCountry": "GB", "FromCity": "", "ToCity": ""}  # fmt: skip
    call = {**base, "CallSid": "CA" + uuid.uuid4().hex, "CallStatus": "no-answer",
            "Direction": "inbound", "Called": to, "Caller": phone}  # fmt: skip

    def sms(body: str) -> dict[str, str]:
        sid = "SM" + uuid.uuid4().hex
        return {**base, "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "Body": body,
                "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received"}  # fmt: skip

    return call, sms


def _conversation(ctx: dict[str, Any], i: int) -> dict[str, Any]:
    from steward.providers.twilio import HEADER, sign

    client, replies, settings = ctx["client"], ctx["replies"], ctx["settings"]
    phone = f"+4479{ctx['tag']}{i:06d}"
    call, sms = _forms(settings.twilio_account_sid, phone, settings.twilio_from_number)
    out: dict[str, Any] = {"lat": {}, "rtt": {}, "posts": 0, "error": None}
    forms = [("missed_call", "voice", call)] + [
        (STEPS[k + 1], "sms", sms(ANSWERS[k])) for k in range(ctx["texts"])
    ]
    for seen, (step, kind, form) in enumerate(forms):
        path = f"/webhooks/twilio/{kind}"
        url = settings.public_url.rstrip("/") + path
        headers = {HEADER: sign(settings.twilio_auth_token, url, form)}
        t0 = time.perf_counter()
        r = client.post(path, data=form, headers=headers)
        out["rtt"][step] = time.perf_counter() - t0
        out["posts"] += 1
        if r.status_code != 200:
            out["error"] = f"{step}: {r.status_code} {r.text[:200]}"
            return out
        at = replies.wait(phone, seen, ctx["timeout"])
        if at is None:
            out["error"] = f"{step}: no reply in {ctx['timeout']} s"
            return out
        out["lat"][step] = at - t0
    return out


def _load(server: Any, args: argparse.Namespace, tag: str) -> dict[str, Any]:
    replies = Replies(server.app.state.sandboxes.twilio.store)
    workers = max(16, int(args.rate * 4))
    client = httpx.Client(base_url=server.base_url, timeout=30,
                          limits=httpx.Limits(max_connections=workers))  # fmt: skip
    ctx = {"client": client, "replies": replies, "settings": server.settings,
           "texts": args.texts, "timeout": args.timeout, "tag": tag}  # fmt: skip
    total = int(args.rate * args.seconds)
    lags: list[float] = []
    futures = []
    with ThreadPoolExecutor(workers) as pool:
        t0 = time.perf_counter()
        for i in range(total):
            due = t0 + i / args.rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            lags.append(time.perf_counter() - due)
            futures.append(pool.submit(_conversation, ctx, i))
        last_start = time.perf_counter()
        results = [f.result() for f in futures]
        ended = time.perf_counter()
    client.close()
    lat: dict[str, list[float]] = {s: [] for s in STEPS}
    rtt: dict[str, list[float]] = {s: [] for s in STEPS}
    for res in results:
        for s, v in res["lat"].items():
            lat[s].append(v)
        for s, v in res["rtt"].items():
            rtt[s].append(v)
    texts = [v for s in STEPS[1:] for v in lat[s]]
    errors = [r["error"] for r in results if r["error"]]
    span = max(last_start - t0, 1e-9)
    posts = sum(r["posts"] for r in results)
    return {
        "conversations": total,
        "completed": total - len(errors),
        "errors": len(errors),
        "first_errors": errors[:5],
        "rate_target": args.rate,
        "conversations_per_second": round(total / span, 1) if total > 1 else None,
        "posts_per_second": round(posts / (ended - t0), 1),
        "window_seconds": round(span, 2),
        "drain_seconds": round(ended - last_start, 2),
        "schedule_lag_ms": _pct(lags),
        "reply_ms": {s: _pct(v) for s, v in lat.items()},
        "reply_texts_ms": _pct(texts),
        "post_rtt_ms": {s: _pct(v) for s, v in rtt.items()},
    }


def _insert(server: Any, n: int, stuck: float, tag: str) -> float:
    from steward.onboarding.models import Conversation, ConversationStatus
    from steward.tenants.models import BillingStatus, PaymentStatus, Tenant

    now = datetime.now(UTC)
    n_stuck = int(n * stuck)
    tenants, convs = [], []
    for i in range(n):
        tid = f"ten_sms_{tag}_{i:06d}"
        clock = now - (timedelta(hours=30) if i < n_stuck else timedelta(minutes=5 + i % 50))
        tenants.append(dict(id=tid, email=f"sms-{tag}{i}@onboarding.invalid", name=f"B {i}",
                            phone=f"+4478{i:08d}", plan="standard",
                            payment_status=PaymentStatus.NONE, billing_status=BillingStatus.NONE,
                            created_at=clock, updated_at=clock))  # fmt: skip
        convs.append(dict(tenant_id=tid, flow="jobrun", channel="sms", address=f"+4478{i:08d}",
                          status=ConversationStatus.ONBOARDING, state=STATES[i % len(STATES)],
                          state_entered_at=clock, clock_at=clock, created_at=clock))  # fmt: skip
    t0 = time.perf_counter()
    with server.runtime.db.transaction() as session:
        for k in range(0, n, 2000):
            session.execute(sa.insert(Tenant), tenants[k : k + 2000])
            session.execute(sa.insert(Conversation), convs[k : k + 2000])
    with server.runtime.db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - t0


def _sweeps(server: Any, count: int) -> dict[str, Any]:
    from steward.onboarding import repository as repo

    flow = server.runtime.product.onboarding
    limits = {s.key: s.max_dwell for s in flow.states if s.max_dwell is not None and not s.final}
    full, query, found = [], [], 0
    for _ in range(count):
        t0 = time.perf_counter()
        report = server.alerts.sweep()
        full.append(time.perf_counter() - t0)
        if report.failed_rules:
            raise SystemExit(f"sweep failed rules: {report.failed_rules}")
        with server.runtime.db.read() as session:
            t0 = time.perf_counter()
            found = len(repo.dwelling(session, datetime.now(UTC), limits))
            query.append(time.perf_counter() - t0)
    return {"sweep_ms": round(statistics.median(full) * 1000, 2),
            "sweep_all_ms": [round(v * 1000, 2) for v in full],
            "stuck_query_ms": round(statistics.median(query) * 1000, 2),
            "stuck_found": found, "matched_last_sweep": report.matched}  # fmt: skip


def _coerce(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(value.lower(), value)


def _repetition(args: argparse.Namespace, rep: int) -> dict[str, Any]:
    from examples.jobrun.onboarding import JOBRUN_NUMBER
    from tests.support import Server, database, free_port, settings_for

    overrides: dict[str, Any] = dict(product=PRODUCT, twilio_from_number=JOBRUN_NUMBER,
                                     log_level="ERROR",
                                     app_version=f"bench-{uuid.uuid4().hex[:8]}")  # fmt: skip
    overrides.update(args.overrides)
    tag = f"{rep % 10}"
    with database(args.db, Path(tempfile.mkdtemp())) as db:
        settings = settings_for(*db, port=free_port(), **overrides)
        with Server(settings) as server:
            out: dict[str, Any] = {"settings": {k: getattr(settings, k) for k in SHOWN}}
            if args.rate > 0 and args.seconds > 0:
                out["load"] = _load(server, args, tag)
            if args.conversations > 0:
                out["sweep_baseline"] = _sweeps(server, args.sweeps)
                out["insert_seconds"] = round(_insert(server, args.conversations, args.stuck,
                                                      f"r{rep}"), 2)  # fmt: skip
                t0 = time.perf_counter()
                first = server.alerts.sweep()
                out["first_sweep"] = {"ms": round((time.perf_counter() - t0) * 1000, 2),
                                      "opened": first.opened, "matched": first.matched}  # fmt: skip
                out["sweep_loaded"] = _sweeps(server, args.sweeps)
    return out


def _print(r: dict[str, Any]) -> None:
    if "load" in r:
        load = r["load"]
        lag = load["schedule_lag_ms"].get("p95")
        print(
            f"  load: {load['completed']}/{load['conversations']} conversations, "
            f"{load['conversations_per_second']} conv/s (target {load['rate_target']}), "
            f"{load['posts_per_second']} posts/s, lag p95 {lag} ms"
        )
        for s in STEPS:
            v = load["reply_ms"][s]
            if v.get("n"):
                print(f"    reply {s:<12} p50 {v['p50']:>8}  p95 {v['p95']:>8}  (n={v['n']})")
        v = load["reply_texts_ms"]
        if v.get("n"):
            print(f"    reply all texts   p50 {v['p50']:>8}  p95 {v['p95']:>8}  (target < 150)")
        for e in load["first_errors"]:
            print(f"    ! {e}")
    if "sweep_loaded" in r:
        b, lo = r["sweep_baseline"], r["sweep_loaded"]
        print(f"  sweep: 0 conv {b['sweep_ms']} ms (stuck query {b['stuck_query_ms']} ms); "
              f"loaded {lo['sweep_ms']} ms (stuck query {lo['stuck_query_ms']} ms, "
              f"{lo['stuck_found']} stuck); first {r['first_sweep']}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=50, help="new conversations per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--texts", type=int, default=4, choices=range(0, 5))
    parser.add_argument("--timeout", type=float, default=30, help="wait for a reply, s")
    parser.add_argument("--conversations", type=int, default=10_000, help="for the sweep")
    parser.add_argument("--stuck", type=float, default=0.01, help="fraction past dwell")
    parser.add_argument("--sweeps", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    args.overrides = {k.strip(): _coerce(v.strip())
                      for k, _, v in (s.partition("=") for s in args.set)}  # fmt: skip
    result: dict[str, Any] = {
        "benchmark": "sms", "db": args.db, "rate": args.rate, "seconds": args.seconds,
        "texts": args.texts, "conversations": args.conversations, "stuck": args.stuck,
        "sweeps": args.sweeps, "repeat": args.repeat, "overrides": args.overrides,
        "loadavg_start": os.getloadavg(), "started_at": datetime.now(UTC).isoformat(),
        "targets": {"reply_p95_ms": 150}, "repetitions": [],
    }  # fmt: skip
    for rep in range(args.repeat):
        r = _repetition(args, rep)
        result["repetitions"].append(r)
        print(f"repetition {rep + 1}/{args.repeat}:", flush=True)
        _print(r)
    reps = result["repetitions"]

    def med(get: Any) -> float | None:
        vals = [v for v in (get(r) for r in reps) if v is not None]
        return round(statistics.median(vals), 2) if vals else None

    median: dict[str, Any] = {}
    if reps and "load" in reps[0]:
        median["reply_texts_ms"] = {q: med(lambda r, q=q: r["load"]["reply_texts_ms"].get(q))
                                    for q in ("p50", "p95", "max")}  # fmt: skip
        median["reply_ms"] = {s: {q: med(lambda r, s=s, q=q: r["load"]["reply_ms"][s].get(q))
                                  for q in ("p50", "p95")} for s in STEPS}  # fmt: skip
        median["conversations_per_second"] = med(lambda r: r["load"]["conversations_per_second"])
        median["posts_per_second"] = med(lambda r: r["load"]["posts_per_second"])
    if reps and "sweep_loaded" in reps[0]:
        for k in ("sweep_baseline", "sweep_loaded"):
            median[k] = {
                q: med(lambda r, k=k, q=q: r[k][q]) for q in ("sweep_ms", "stuck_query_ms")
            }
    result["median"] = median
    result["loadavg_end"] = os.getloadavg()
    print(f"median of {len(reps)} repetitions: {json.dumps(median)}")
    OUT.mkdir(exist_ok=True)
    out = OUT / f"sms-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
