"""Public signup benchmark: ``python -m bench.signup [--signups 300] [--db sqlite] [--repeat 3]``.

Syston's starter signup over real HTTP on a real Steward server (uvicorn in this process, DBOS, a
fresh database per repetition), with the repository's default settings except the signup and
sign-in rate limits (raised so nothing is throttled) and ``webhook_check_allow_private`` (the
Make.com stand-in is a local HTTP server on loopback). ``--signups`` signups one after another,
each exactly as examples/syston/tests/test_syston_signup.py drives one:

  start  POST /public/signup/start {name, email}                        -> step token
  brand  POST /public/signup/brand {primary_color, secondary_color}     -> step token
  plan   POST /public/signup/plan  {plan: starter, inputs: {make_webhook_url}} -> verify_email
  (the verification link arrives through SMTP in the sandbox mail sink)
  verify POST /public/auth/redeem  {token}
  status GET  /public/signup/status                                      -> checkout_url
  (the customer pays: the Stripe sandbox completes the checkout and delivers the webhooks)
  ... the tenant is activated, the starter provisioning run completes.

Figures, per repetition (the first ``--warmup`` signups of each are left out):

1. Per step: the client-measured round trip on loopback (the server sets no Server-Timing
   header; one is read if it ever does), p50/p95/max. Target: start, brand, plan p95 < 50 ms.
   ``verify`` and ``status`` are shown too (not part of the target). ``drift`` compares the
   median of the first and last 10 % of the signups (a table scan that grows shows here).
2. Signup -> provisioned (starter: provisioning waits for the verified email and the payment,
   so the payment is the trigger). All in Steward's clock (the database) but the first:
   - ``paid``: the moment the customer pays (just before the sandbox completes the checkout) to
     the run's ``finished_at``; includes the sandbox's webhook delivery over loopback.
   - ``webhook`` (the target figure, <= 100 ms): the activating Stripe webhook's ``received_at``
     to ``finished_at``: Steward's own time from learning of the payment to a provisioned tenant.
   - ``activated``: the ``tenant.activated`` event's ``created_at`` to ``finished_at`` (what
     bench/provisioning.py measures), split into ``queued`` (to the run's ``started_at``) and
     ``run`` (``started_at`` to ``finished_at``: the starter steps themselves).

p50/p95 per repetition, then the median of each across repetitions. Printed and written to
``bench/out/signup-<timestamp>.json``. ``--set name=value`` overrides any other setting (e.g.
``--set domain_queue_poll_seconds=0.05``); the JSON records the settings that shape latency.
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
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

OUT = Path(__file__).parent / "out"
PRODUCT = "examples.syston.product:product"
STEPS = ("start", "brand", "plan")  # the target: p95 < 50 ms each
EXTRA = ("verify", "status")  # the rest of the starter path, shown for reference
LAGS = ("paid", "webhook", "activated")  # -> provisioned; "webhook" is the target (<= 100 ms)
PARTS = ("queued", "run")  # activated -> run started_at, run started_at -> finished_at
NO_LIMIT = 10**9
TIMING_HEADERS = ("server-timing", "x-process-time", "x-response-time")
SHOWN_SETTINGS = (
    "inbox_poll_seconds",
    "domain_queue_poll_seconds",
    "domain_queue_concurrency",
    "dbos_notification_poll_seconds",
    "provisioning_concurrency",
    "signup_rate_limit",
    "signin_rate_limit",
    "rate_limit_window_seconds",
)


class Hook(BaseHTTPRequestHandler):
    """A Make.com-like webhook receiver that accepts everything."""

    def _answer(self, status: int) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._answer(200)

    def do_GET(self) -> None:
        self._answer(200)

    def do_POST(self) -> None:
        self._answer(204)

    def log_message(self, *args: Any) -> None:
        pass


def _pct(values: list[float]) -> dict[str, float | int]:
    """p50/p95/max/mean in ms of values in seconds."""
    if not values:
        return {"n": 0}
    s = sorted(values)
    if len(s) == 1:
        p50 = p95 = s[0]
    else:
        q = statistics.quantiles(s, n=100, method="inclusive")
        p50, p95 = q[49], q[94]
    return {
        "n": len(s),
        "p50": round(p50 * 1000, 2),
        "p95": round(p95 * 1000, 2),
        "max": round(s[-1] * 1000, 2),
        "mean": round(statistics.mean(s) * 1000, 2),
    }


def _server_ms(response: httpx.Response) -> float | None:
    """The server's own time for the request, if it ever reports one (Server-Timing dur=)."""
    for name in TIMING_HEADERS:
        value = response.headers.get(name)
        if not value:
            continue
        if name == "server-timing":
            durs = [
                float(p.split("=", 1)[1])
                for part in value.split(",")
                for p in part.split(";")
                if p.strip().startswith("dur=")
            ]
            if durs:
                return max(durs)
        else:
            try:
                seconds = float(value.rstrip("ms").strip())
            except ValueError:
                continue
            return seconds if value.endswith("ms") else seconds * 1000
    return None


class Timed:
    """Round trips of one signup's requests, by step."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.rtt: dict[str, list[float]] = {s: [] for s in (*STEPS, *EXTRA)}
        self.server: dict[str, list[float]] = {s: [] for s in (*STEPS, *EXTRA)}

    def call(self, step: str, method: str, url: str, expect: int, **kw: Any) -> dict[str, Any]:
        t0 = time.perf_counter()
        r = self.client.request(method, url, **kw)
        elapsed = time.perf_counter() - t0
        if r.status_code != expect:
            raise SystemExit(f"{step}: {r.status_code} {r.text[:500]}")
        self.rtt[step].append(elapsed)
        server = _server_ms(r)
        if server is not None:
            self.server[step].append(server / 1000)
        body: dict[str, Any] = r.json()
        return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wait(predicate: Any, what: str, timeout: float = 30, step: float = 0.002) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not reached in {timeout:.0f} s")
        time.sleep(step)


def _run_state(server: Any, tenant_id: str) -> str | None:
    from steward.provisioning.models import Run, RunKind

    with server.runtime.db.read() as session:
        state = session.execute(
            sa.select(Run.state).where(Run.tenant_id == tenant_id, Run.kind == RunKind.PROVISION)
        ).scalar()
    return state.value if state is not None else None


def _lags(server: Any, paid_at: dict[str, datetime]) -> dict[str, list[float]]:
    """paid/webhook/activated -> provisioned, in seconds, for each tenant."""
    from steward.events.models import DomainEvent
    from steward.inbox.models import InboundEvent
    from steward.provisioning.models import Run, RunKind, RunState

    with server.runtime.db.read() as session:
        rows = session.execute(
            sa.select(
                Run.tenant_id,
                Run.started_at,
                Run.finished_at,
                DomainEvent.created_at,
                InboundEvent.received_at,
            )
            .join(DomainEvent, DomainEvent.id == Run.cause_event_id)
            .outerjoin(InboundEvent, InboundEvent.id == DomainEvent.cause_event_id)
            .where(
                Run.tenant_id.in_(list(paid_at)),
                Run.kind == RunKind.PROVISION,
                Run.state == RunState.COMPLETE,
                DomainEvent.type == "tenant.activated",
            )
        ).all()
    lags: dict[str, list[float]] = {k: [] for k in (*LAGS, *PARTS)}
    for tenant_id, started, finished, activated, received in rows:
        if started is not None:
            lags["queued"].append((started - activated).total_seconds())
            lags["run"].append((finished - started).total_seconds())
        lags["paid"].append((finished - paid_at[tenant_id]).total_seconds())
        lags["activated"].append((finished - activated).total_seconds())
        if received is not None:
            lags["webhook"].append((finished - received).total_seconds())
    return lags


def _signup(server: Any, timed: Timed, hook: str, tag: str, i: int) -> tuple[str, datetime]:
    """One starter signup, paid; returns (tenant id, the moment of payment). Waits for the run."""
    from tests.e2e.signup_support import LINK

    email = f"owner-{tag}-{i:05d}@syston.example"
    started = timed.call(
        "start",
        "POST",
        "/public/signup/start",
        201,
        json={"name": f"Bench {tag} Club {i:05d}", "email": email},
    )
    tenant_id = started["tenant_id"]
    branded = timed.call(
        "brand",
        "POST",
        "/public/signup/brand",
        200,
        json={"primary_color": "#112233", "secondary_color": "#ffcc00"},
        headers=_bearer(started["token"]),
    )
    planned = timed.call(
        "plan",
        "POST",
        "/public/signup/plan",
        200,
        json={"plan": "starter", "inputs": {"make_webhook_url": hook}},
        headers=_bearer(branded["token"]),
    )
    if planned["next"] != "verify_email":
        raise SystemExit(f"plan: expected verify_email, got {planned}")
    sink = server.app.state.sandboxes.mail

    def link() -> str | None:
        for mail in sink.to(email):
            if mail.subject.startswith("Confirm your email"):
                found = LINK.findall(mail.text)
                if found:
                    return str(found[-1])
        return None

    token = _wait(link, f"verification mail of {email}", timeout=15)
    timed.call("verify", "POST", "/public/auth/redeem", 200, json={"token": token})
    status = timed.call(
        "status", "GET", "/public/signup/status", 200, headers=_bearer(planned["token"])
    )
    if status.get("next") != "checkout" or "checkout_url" not in status:
        raise SystemExit(f"status: expected a checkout, got {status}")
    timed.client.cookies.clear()  # the redeem's customer session: each signup is a new visitor
    session_id = status["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    paid_at = datetime.now(UTC)
    server.sandbox.complete_checkout(session_id, phone="+447911123456")

    def done() -> bool:
        state = _run_state(server, tenant_id)
        if state in ("failed", "canceled"):
            raise SystemExit(f"provisioning of {tenant_id} {state}")
        return state == "complete"

    _wait(done, f"provisioning of {tenant_id}", timeout=30)
    return tenant_id, paid_at


def _drift(values: list[float]) -> dict[str, float] | None:
    tenth = len(values) // 10
    if tenth < 1:
        return None
    return {
        "first_10pct_p50": round(statistics.median(values[:tenth]) * 1000, 2),
        "last_10pct_p50": round(statistics.median(values[-tenth:]) * 1000, 2),
    }


def _coerce(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _repetition(args: argparse.Namespace, hook: str, rep: int) -> dict[str, Any]:
    from tests.support import Server, database, free_port, settings_for

    overrides: dict[str, Any] = dict(
        product=PRODUCT,
        webhook_check_allow_private=True,  # the Make.com stand-in is on loopback
        signup_rate_limit=NO_LIMIT,
        signin_rate_limit=NO_LIMIT,
        log_level="ERROR",
        app_version=f"bench-{uuid.uuid4().hex[:8]}",
    )
    overrides.update(args.overrides)
    with database(args.db, Path(tempfile.mkdtemp())) as db:
        settings = settings_for(*db, port=free_port(), **overrides)
        shown = {k: getattr(settings, k) for k in SHOWN_SETTINGS}
        with Server(settings) as server:
            tag = f"r{rep}{uuid.uuid4().hex[:4]}"
            client = httpx.Client(base_url=server.base_url, timeout=30)
            timed = Timed(client)
            paid_at: dict[str, datetime] = {}
            total = args.warmup + args.signups
            t0 = time.monotonic()
            try:
                for i in range(total):
                    if i == args.warmup:  # the warm-up's round trips are not counted
                        timed.rtt = {s: [] for s in timed.rtt}
                        timed.server = {s: [] for s in timed.server}
                    tenant_id, at = _signup(server, timed, hook, tag, i)
                    if i >= args.warmup:
                        paid_at[tenant_id] = at
            finally:
                client.close()
            elapsed = time.monotonic() - t0
            lags = _lags(server, paid_at)
            mails = len(server.app.state.sandboxes.mail.messages)
    result: dict[str, Any] = {
        "settings": shown,
        "seconds": round(elapsed, 1),
        "steps_ms": {s: _pct(timed.rtt[s]) for s in (*STEPS, *EXTRA)},
        "server_timing_ms": {s: _pct(v) for s, v in timed.server.items() if v} or None,
        "drift_ms": {s: _drift(timed.rtt[s]) for s in STEPS},
        "provisioned_ms": {k: _pct(v) for k, v in lags.items()},
        "provisioned_of": len(paid_at),
        "mails_received": mails,
    }
    return result


def _median_of(reps: list[dict[str, Any]], group: str, keys: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        figures = [r[group][key] for r in reps if r[group][key].get("n")]
        if figures:
            out[key] = {
                q: round(statistics.median(f[q] for f in figures), 2) for q in ("p50", "p95", "max")
            }
    return out


def _line(label: str, figures: dict[str, Any]) -> str:
    parts = [
        f"{k} {v['p50']}/{v['p95']}" + (f" (n={v['n']})" if "n" in v else "")
        for k, v in figures.items()
        if "p50" in v
    ]
    return f"  {label:<22} " + "  ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--signups", type=int, default=300, help="measured signups per repetition")
    parser.add_argument("--warmup", type=int, default=5, help="signups first, not counted")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions, each a fresh server")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="another setting"
    )
    args = parser.parse_args()
    args.overrides = {
        k.strip(): _coerce(v.strip()) for k, _, v in (s.partition("=") for s in args.set)
    }

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{httpd.server_address[1]}/hook/bench"
    result: dict[str, Any] = {
        "benchmark": "signup",
        "db": args.db,
        "signups": args.signups,
        "warmup": args.warmup,
        "repeat": args.repeat,
        "flow": "syston starter: start, brand, plan, verify, status, pay -> provisioned",
        "overrides": args.overrides,
        "loadavg_start": os.getloadavg(),
        "started_at": datetime.now(UTC).isoformat(),
        "targets": {"step_p95_ms": 50, "webhook_to_provisioned_p95_ms": 100},
        "repetitions": [],
    }
    print("p50/p95 in ms; steps: client round trip on loopback; provisioned: lag to finished_at")
    for rep in range(args.repeat):
        r = _repetition(args, hook, rep)
        result["repetitions"].append(r)
        print(f"repetition {rep + 1}/{args.repeat} ({r['seconds']} s):", flush=True)
        print(_line("steps", {s: r["steps_ms"][s] for s in STEPS}), flush=True)
        print(_line("  also", {s: r["steps_ms"][s] for s in EXTRA}), flush=True)
        print(_line("-> provisioned from", {k: r["provisioned_ms"][k] for k in LAGS}), flush=True)
        print(_line("  activated split", {k: r["provisioned_ms"][k] for k in PARTS}), flush=True)
        if r["provisioned_of"] != r["provisioned_ms"]["activated"].get("n"):
            print(f"  ! {r['provisioned_of']} paid, lags of {r['provisioned_ms']}", flush=True)
    httpd.shutdown()
    reps = result["repetitions"]
    result["median"] = {
        "steps_ms": _median_of(reps, "steps_ms", (*STEPS, *EXTRA)),
        "provisioned_ms": _median_of(reps, "provisioned_ms", LAGS),
        "activated_split_ms": _median_of(reps, "provisioned_ms", PARTS),
    }
    result["loadavg_end"] = os.getloadavg()
    print(f"median of {len(reps)} repetitions:")
    print(_line("steps", {s: result["median"]["steps_ms"][s] for s in STEPS}))
    print(_line("  also", {s: result["median"]["steps_ms"][s] for s in EXTRA}))
    print(_line("-> provisioned from", result["median"]["provisioned_ms"]))
    print(_line("  activated split", result["median"]["activated_split_ms"]))
    OUT.mkdir(exist_ok=True)
    out = OUT / f"signup-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
