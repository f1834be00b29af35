"""Webhook ingest benchmark: ``python -m bench.ingest`` (``make bench``).

On SQLite (WAL, a file in a temporary directory) and on PostgreSQL (a fresh schema, dropped
afterwards), against one Steward server per database, run by uvicorn in a process of its own:

1. Ingest rate: signed, never-seen events stored durably, at the maximum throughput of
   ``--conns`` keep-alive connections (closed loop), beside a bare endpoint on the same server
   that only answers 200; their ratio is the webhook's efficiency (target >= 0.60).
2. Ack latency p50/p99 at fixed offered rates (open loop; latency from each request's due time)
   for the webhook and for the bare endpoint (target: p99 <= 20 ms at 1,000/s on SQLite).
3. Webhook-to-applied throughput: N events posted, timed until the inbox backlog
   (``pending`` + ``retrying``) is empty; unknown-type events (stored, then ``ignored``) and
   ``checkout.session.completed`` events against pre-created tenants.

Every figure is the median of ``--runs`` runs (>= 3) of this one invocation; each ratio pairs
the webhook and bare runs taken one after the other. Before each run the benchmark waits (a
bounded time) for the other processes on the machine to go quiet, and it records the CPU they
used during the run, since the server, the load generator and PostgreSQL share 2 cores.

Load: wrk (Debian package ``wrk``) for the maximum throughput when it is installed, otherwise
the Python generator; ``bench.loadgen`` (asyncio + uvloop, raw HTTP/1.1) for the fixed-rate and
the webhook-to-applied phases, since wrk cannot hold a fixed rate or stop after N requests.
Only 127.0.0.1 is targeted; every loop is bounded in count and time. The results are printed
as a Markdown table and written to ``bench/out/ingest-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import stripe

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
WRK_SCRIPT = BENCH / "wrk_post.lua"
PG_URL = os.environ.get("STEWARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "whsec_bench_0123456789abcdef"
HOST = "127.0.0.1"
NOOP_TYPE = "bench.noop"  # no handler: stored, then marked ignored
CHECKOUT_TYPE = "checkout.session.completed"
TICK = os.sysconf("SC_CLK_TCK")


# -- configuration -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    runs: int = 3
    conns: int = 16  # phase 1: keep-alive connections of the closed loop
    throughput_seconds: int = 5
    rates: tuple[int, ...] = (100, 250, 1000)
    rate_seconds: float = 4.0
    grace_seconds: float = 2.0  # after a fixed-rate window: how long late answers may take
    applied_events: int = 1500
    checkout_events: int = 300
    applied_conns: int = 16
    inbox_workers: int = 1
    server_log_level: str = "INFO"
    quiet_cores: float = 0.3  # other processes' CPU below which the machine counts as quiet
    quiet_wait_seconds: float = 4.0  # the longest wait for quiet before one run
    quiet_budget_seconds: float = 60.0  # the longest wait for quiet in all
    drain_seconds: float = 60.0  # the longest wait for the backlog to empty between runs
    tool: str = "auto"  # phase 1 load tool: auto | wrk | python

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            throughput_seconds=2,
            rates=(100, 1000),
            rate_seconds=2.0,
            grace_seconds=2.0,
            applied_events=600,
            checkout_events=150,
            quiet_wait_seconds=2.0,
            quiet_budget_seconds=15.0,
            drain_seconds=30.0,
        )


# -- CPU accounting ------------------------------------------------------------------------------
def _proc_times() -> dict[int, tuple[str, int]]:
    """Every process: (command name, CPU ticks used so far by it)."""
    out: dict[int, tuple[str, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        out[int(entry.name)] = (comm, int(fields[11]) + int(fields[12]))
    return out


def _busy_ticks() -> int:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle


def _self_ticks() -> int:
    t = os.times()
    return round((t.user + t.system + t.children_user + t.children_system) * TICK)


@dataclass
class CpuSnapshot:
    wall: float
    busy: int
    own: int
    procs: dict[int, tuple[str, int]]


class CpuMeter:
    """Splits the machine's CPU use over an interval: the server, this benchmark and its load
    generators, PostgreSQL, and everything else (other people's work on a shared machine)."""

    def __init__(self) -> None:
        self.server_pid: int | None = None

    def snapshot(self) -> CpuSnapshot:
        return CpuSnapshot(time.monotonic(), _busy_ticks(), _self_ticks(), _proc_times())

    def since(self, start: CpuSnapshot) -> dict[str, float]:
        end = self.snapshot()
        seconds = max(1e-6, end.wall - start.wall)

        def cores(ticks: float) -> float:
            return round(max(0.0, ticks) / TICK / seconds, 3)

        def delta(pid: int) -> int:
            if pid in end.procs and pid in start.procs:
                return end.procs[pid][1] - start.procs[pid][1]
            return 0

        server = delta(self.server_pid) if self.server_pid else 0
        own = end.own - start.own
        postgres = sum(delta(p) for p, (comm, _) in end.procs.items() if comm == "postgres")
        total = end.busy - start.busy
        return {
            "total": cores(total),
            "server": cores(server),
            "loadgen": cores(own),
            "postgres": cores(postgres),
            "other": cores(total - server - own - postgres),
        }

    def wait_quiet(self, threshold: float, max_wait: float) -> dict[str, float]:
        """Wait (at most ``max_wait`` s) for a half-second in which other processes use less
        than ``threshold`` cores; returns the wait and the last reading."""
        began = time.monotonic()
        other = 0.0
        for _ in range(int(max_wait / 0.5) + 1):
            start = self.snapshot()
            time.sleep(0.5)
            reading = self.since(start)
            other = reading["other"] + reading["postgres"]
            if other < threshold or time.monotonic() - began >= max_wait:
                break
        return {"waited_s": round(time.monotonic() - began, 2), "other_before": round(other, 3)}


# -- databases -----------------------------------------------------------------------------------
@dataclass
class Target:
    kind: str  # sqlite | postgresql
    url: str
    dbos_schema: str
    engine: sa.Engine

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT status, count(*) FROM inbound_events GROUP BY status")
            ).all()
        return {str(status): int(n) for status, n in rows}

    def backlog(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM inbound_events "
                        "WHERE status IN ('pending', 'retrying')"
                    )
                ).scalar_one()
            )

    def error_samples(self, limit: int = 3) -> list[str]:
        """A few errors of events that did not apply, for the report."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT status, last_error FROM inbound_events "
                    "WHERE status IN ('failed', 'dead', 'retrying') ORDER BY id DESC LIMIT :n"
                ),
                {"n": limit},
            ).all()
        return [f"{status}: {(error or '')[:500]}" for status, error in rows]

    def wait_drained(self, max_seconds: float, poll: float = 0.05) -> tuple[bool, float]:
        began = time.monotonic()
        for _ in range(int(max_seconds / poll) + 1):
            if self.backlog() == 0:
                return True, time.monotonic() - began
            if time.monotonic() - began > max_seconds:
                break
            time.sleep(poll)
        return False, time.monotonic() - began


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[Target]:
    if kind == "sqlite":
        path = tmp / "steward.sqlite"
        url = f"sqlite:///{path}"
        engine = sa.create_engine(url, connect_args={"timeout": 30}, poolclass=sa.NullPool)
        try:
            yield Target(kind, url, "dbos", engine)
        finally:
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = sa.create_engine(url, pool_size=2)
    try:
        yield Target(kind, url, f"{schema}_dbos", engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema}_dbos CASCADE"))
        admin.dispose()


# -- the server ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``python -m bench.server`` in a process of its own; its log goes to a file."""

    def __init__(self, target: Target, plan: Plan, tmp: Path) -> None:
        self.port = free_port()
        self.log_path = tmp / f"server-{target.kind}.log"
        self.env = {
            **os.environ,
            "STEWARD_SANDBOX": "false",
            "STEWARD_DATABASE_URL": target.url,
            "STEWARD_DBOS_SCHEMA": target.dbos_schema,
            "STEWARD_STRIPE_WEBHOOK_SECRETS": SECRET,
            "STEWARD_PUBLIC_URL": f"http://{HOST}:{self.port}",
            "STEWARD_INBOX_WORKERS": str(plan.inbox_workers),
            "STEWARD_LOG_LEVEL": plan.server_log_level,
            "STEWARD_APP_VERSION": "bench",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_path}:\n{self.tail()}")
            with contextlib.suppress(OSError):
                if self.request("POST", "/bench/bare") == 200:
                    return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"the server did not start in 90 s; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def request(self, method: str, path: str) -> int:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            conn.request(method, path, body=b"{}", headers={"Content-Type": "application/json"})
            return conn.getresponse().status
        finally:
            conn.close()

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


# -- events --------------------------------------------------------------------------------------
def write_events(path: Path, count: int, kind: str, tenants: list[str] | None = None) -> Path:
    """``count`` unique events, each a line ``<Stripe-Signature>\\t<JSON body>``, signed now."""
    now = int(time.time())
    tag = uuid.uuid4().hex[:12]
    with path.open("w") as f:
        for i in range(count):
            if tenants is not None:
                obj: dict[str, Any] = {
                    "id": f"cs_bench_{tag}_{i}",
                    "object": "checkout.session",
                    "client_reference_id": tenants[i],
                    "customer": f"cus_bench_{tag}_{i}",
                    "subscription": f"sub_bench_{tag}_{i}",
                    "payment_status": "paid",
                    "status": "complete",
                    "metadata": {},
                }
            else:
                obj = {"id": f"obj_bench_{tag}_{i}", "object": "bench_object", "n": i}
            body = json.dumps(
                {
                    "id": f"evt_bench_{tag}_{i}",
                    "object": "event",
                    "api_version": "2024-06-20",
                    "created": now,
                    "livemode": False,
                    "pending_webhooks": 1,
                    "type": kind,
                    "data": {"object": obj},
                },
                separators=(",", ":"),
            )
            header = stripe.WebhookSignature.generate_signature_header(body, SECRET, now)
            f.write(f"{header}\t{body}\n")
    return path


def create_tenants(target: Target, count: int) -> list[str]:
    """Tenants for the checkout events, made with Steward's own service (not timed)."""
    from steward.db import Database
    from steward.kit.clock import Clock
    from steward.product import load_product
    from steward.tenants import service as tenants

    product = load_product("steward.demo.product:product")
    db = Database(target.url)
    ids: list[str] = []
    try:
        clock = Clock()
        for start in range(0, count, 500):
            with db.transaction() as session:
                for i in range(start, min(count, start + 500)):
                    tenant = tenants.create(
                        session,
                        product,
                        clock,
                        tenants.NewTenant(email=f"bench{i}@example.com", name=f"Bench {i}"),
                    )
                    ids.append(tenant.id)
    finally:
        db.dispose()
    return ids


# -- load ----------------------------------------------------------------------------------------
def run_json(cmd: list[str], timeout: float) -> dict[str, Any]:
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=timeout, check=False)
    lines = [ln for ln in done.stdout.decode(errors="replace").splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(cmd[:4])} failed ({done.returncode}): "
            f"{done.stderr.decode(errors='replace')[-2000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def wrk_closed(server: ServerProcess, path: str, events: Path, plan: Plan) -> dict[str, Any]:
    raw = run_json(
        [
            "wrk",
            "-t1",
            f"-c{plan.conns}",
            f"-d{max(1, round(plan.throughput_seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_SCRIPT),
            server.url(path),
            "--",
            str(events),
        ],
        timeout=plan.throughput_seconds + 60,
    )
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    ok = raw["requests"] - raw["status_errors"]
    return {
        "tool": "wrk",
        "answered": raw["requests"],
        "ok": ok,
        "non_2xx": raw["status_errors"],
        "errors": errors,
        "elapsed_s": round(seconds, 3),
        "rate": round(ok / seconds, 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
    }


def loadgen(server: ServerProcess, path: str, events: Path, *args: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--port",
        str(server.port),
        "--path",
        path,
        "--requests",
        str(events),
        *args,
    ]
    return run_json(cmd, timeout=700)


def python_closed(server: ServerProcess, path: str, events: Path, plan: Plan) -> dict[str, Any]:
    raw = loadgen(
        server,
        path,
        events,
        "--mode",
        "closed",
        "--conns",
        str(plan.conns),
        "--duration",
        str(plan.throughput_seconds),
    )
    raw["tool"] = "bench.loadgen"
    raw["non_2xx"] = raw["answered"] - raw["ok"]
    return raw


# -- phases --------------------------------------------------------------------------------------
@dataclass
class Bench:
    plan: Plan
    tmp: Path
    cpu: CpuMeter = field(default_factory=CpuMeter)
    say: Callable[[str], None] = print
    quiet_spent: float = 0.0

    def closed_tool(self) -> str:
        if self.plan.tool == "python" or (self.plan.tool == "auto" and not shutil.which("wrk")):
            return "python"
        if not shutil.which("wrk"):
            raise SystemExit("wrk is not installed: apt-get install -y wrk, or --tool python")
        return "wrk"

    def measure(self, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        """``fn(*args)``, after waiting (a bounded time) for the machine to be quiet, with the
        CPU used meanwhile and the server's CPU time per successful request."""
        budget = max(0.0, self.plan.quiet_budget_seconds - self.quiet_spent)
        quiet = self.cpu.wait_quiet(
            self.plan.quiet_cores, min(self.plan.quiet_wait_seconds, budget)
        )
        self.quiet_spent += quiet["waited_s"]
        start = self.cpu.snapshot()
        began = time.monotonic()
        result = fn(*args)
        seconds = time.monotonic() - began
        cpu = self.cpu.since(start)
        result["cpu"] = cpu
        result["quiet"] = quiet
        ok = result.get("ok", 0)
        result["server_cpu_ms_per_ok"] = (
            round(cpu["server"] * seconds * 1000 / ok, 3) if ok else None
        )
        return result

    def settle(self, target: Target) -> dict[str, Any]:
        """Wait (bounded) for the backlog to empty and the server to go idle, so that the next
        run starts from the same state."""
        drained, seconds = target.wait_drained(self.plan.drain_seconds)
        began = time.monotonic()
        for _ in range(20):  # at most ~10 s
            start = self.cpu.snapshot()
            time.sleep(0.5)
            if self.cpu.since(start)["server"] < 0.15:
                break
        return {
            "drained": drained,
            "drain_wait_s": round(seconds, 2),
            "idle_wait_s": round(time.monotonic() - began, 2),
        }

    # 1 ---------------------------------------------------------------------------------------
    def throughput(self, target: Target, server: ServerProcess) -> dict[str, Any]:
        plan, tool = self.plan, self.closed_tool()
        closed = wrk_closed if tool == "wrk" else python_closed
        runs: list[dict[str, Any]] = []
        for run in range(plan.runs):
            # The bare endpoint ignores the body; wrk reuses its lines, loadgen needs one each.
            bare_count = 2000 if tool == "wrk" else int(8000 * plan.throughput_seconds)
            bare_events = write_events(self.tmp / "bare.tsv", bare_count, NOOP_TYPE)
            bare = self.measure(closed, server, "/bench/bare", bare_events, plan)
            # Enough unique events for the webhook: it cannot outrun the bare endpoint by much.
            count = int(bare["rate"] * plan.throughput_seconds * 1.5) + 1000
            events = write_events(self.tmp / "webhook.tsv", count, NOOP_TYPE)
            before = sum(target.counts().values())
            webhook = self.measure(closed, server, "/webhooks/stripe", events, plan)
            time.sleep(0.5)  # answers still in flight when the tool stopped are stored too
            webhook["stored"] = sum(target.counts().values()) - before
            webhook["ran_out_of_events"] = webhook["answered"] >= count
            webhook.update(self.settle(target))
            ratio = webhook["rate"] / bare["rate"] if bare["rate"] else 0.0
            runs.append({"webhook": webhook, "bare": bare, "ratio": round(ratio, 3)})
            self.say(
                f"  [{target.kind}] throughput run {run + 1}: webhook {webhook['rate']:.0f}/s, "
                f"bare {bare['rate']:.0f}/s, ratio {ratio:.2f} "
                f"(other CPU {webhook['cpu']['other']:.2f}/{bare['cpu']['other']:.2f} cores)"
            )
        return {
            "tool": tool,
            "conns": plan.conns,
            "seconds": plan.throughput_seconds,
            "runs": runs,
            "median": {
                "webhook_rate": median([r["webhook"]["rate"] for r in runs]),
                "bare_rate": median([r["bare"]["rate"] for r in runs]),
                "ratio": median([r["ratio"] for r in runs]),
                "webhook_p99_ms": median([r["webhook"]["p99_ms"] for r in runs]),
                "webhook_cpu_ms": median_ms([r["webhook"]["server_cpu_ms_per_ok"] for r in runs]),
                "bare_cpu_ms": median_ms([r["bare"]["server_cpu_ms_per_ok"] for r in runs]),
                "webhook_server_cores": median([r["webhook"]["cpu"]["server"] for r in runs]),
                "other_cores": median(
                    [max(r["webhook"]["cpu"]["other"], r["bare"]["cpu"]["other"]) for r in runs]
                ),
            },
        }

    # 2 ---------------------------------------------------------------------------------------
    def latency(self, target: Target, server: ServerProcess) -> dict[str, Any]:
        plan = self.plan
        runs: list[dict[str, Any]] = []
        for run in range(plan.runs):
            by_rate: dict[str, Any] = {}
            for rate in plan.rates:
                count = int(rate * plan.rate_seconds)
                pair: dict[str, Any] = {}
                for name, path in (("bare", "/bench/bare"), ("webhook", "/webhooks/stripe")):
                    events = write_events(self.tmp / f"rate-{name}.tsv", count, NOOP_TYPE)
                    pair[name] = self.measure(
                        loadgen,
                        server,
                        path,
                        events,
                        "--mode",
                        "rate",
                        "--rate",
                        str(rate),
                        "--duration",
                        str(plan.rate_seconds),
                        "--grace",
                        str(plan.grace_seconds),
                    )
                    if name == "webhook":
                        pair[name].update(self.settle(target))
                by_rate[str(rate)] = pair
                w, b = pair["webhook"], pair["bare"]
                self.say(
                    f"  [{target.kind}] latency run {run + 1} @ {rate}/s: webhook p50/p99 "
                    f"{fmt_ms(w['p50_ms'])}/{fmt_ms(w['p99_ms'])} ms, bare "
                    f"{fmt_ms(b['p50_ms'])}/{fmt_ms(b['p99_ms'])} ms "
                    f"(other CPU {w['cpu']['other']:.2f}/{b['cpu']['other']:.2f} cores)"
                )
            runs.append(by_rate)
        medians: dict[str, Any] = {}
        for rate in plan.rates:
            key = str(rate)
            medians[key] = {
                name: {
                    "p50_ms": median_ms([r[key][name]["p50_ms"] for r in runs]),
                    "p99_ms": median_ms([r[key][name]["p99_ms"] for r in runs]),
                    "achieved": median([r[key][name]["rate"] for r in runs]),
                    "other_cores": median([r[key][name]["cpu"]["other"] for r in runs]),
                }
                for name in ("webhook", "bare")
            }
        return {"seconds": plan.rate_seconds, "runs": runs, "median": medians}

    # 3 ---------------------------------------------------------------------------------------
    def applied(self, target: Target, server: ServerProcess, kind: str) -> dict[str, Any]:
        plan = self.plan
        count = plan.applied_events if kind == NOOP_TYPE else plan.checkout_events
        tenants = create_tenants(target, count * plan.runs) if kind == CHECKOUT_TYPE else None
        runs = []
        for run in range(plan.runs):
            self.settle(target)
            chunk = tenants[run * count : (run + 1) * count] if tenants else None
            events = write_events(self.tmp / "applied.tsv", count, kind, chunk)
            before = target.counts()

            def post_and_drain(events: Path = events) -> dict[str, Any]:
                began = time.monotonic()
                posted = loadgen(
                    server,
                    "/webhooks/stripe",
                    events,
                    "--mode",
                    "closed",
                    "--conns",
                    str(plan.applied_conns),
                    "--duration",
                    "300",
                )
                acked = time.monotonic() - began
                drained, _ = target.wait_drained(300, poll=0.02)
                total = time.monotonic() - began
                return {
                    "events": count,
                    "ok": posted["ok"],
                    "errors": posted["errors"],
                    "acked_s": round(acked, 3),
                    "total_s": round(total, 3),
                    "drained": drained,
                    "rate": round(count / total, 1),
                    "ack_rate": round(posted["ok"] / acked, 1),
                }

            result = self.measure(post_and_drain)
            after = target.counts()
            result["outcomes"] = {
                s: after.get(s, 0) - before.get(s, 0)
                for s in sorted(set(after) | set(before))
                if after.get(s, 0) != before.get(s, 0)
            }
            if set(result["outcomes"]) - {"ignored", "processed"}:
                result["error_samples"] = target.error_samples()
                self.say(f"  [{target.kind}] events that did not apply: {result['error_samples']}")
            runs.append(result)
            self.say(
                f"  [{target.kind}] applied run {run + 1} ({kind}): {count} events in "
                f"{result['total_s']:.1f} s = {result['rate']:.0f}/s (acked in "
                f"{result['acked_s']:.1f} s), outcomes {result['outcomes']}"
            )
        return {
            "type": kind,
            "events": count,
            "conns": plan.applied_conns,
            "runs": runs,
            "median": {
                "rate": median([r["rate"] for r in runs]),
                "ack_rate": median([r["ack_rate"] for r in runs]),
                "cpu_ms": median_ms([r["server_cpu_ms_per_ok"] for r in runs]),
                "other_cores": median([r["cpu"]["other"] for r in runs]),
            },
        }

    def database(self, kind: str) -> dict[str, Any]:
        with database(kind, self.tmp) as target, ServerProcess(target, self.plan, self.tmp) as srv:
            self.cpu.server_pid = srv.pid
            self.say(f"[{kind}] server pid {srv.pid} on port {srv.port}")
            try:
                result: dict[str, Any] = {
                    "throughput": self.throughput(target, srv),
                    "latency": self.latency(target, srv),
                    "applied_noop": self.applied(target, srv, NOOP_TYPE),
                    "applied_checkout": self.applied(target, srv, CHECKOUT_TYPE),
                    "final_counts": target.counts(),
                }
            except BaseException:
                self.say(f"server log tail:\n{srv.tail()}")
                raise
            errors = [ln for ln in srv.tail(2000).splitlines() if '"level": "error"' in ln.lower()]
            result["server_error_lines"] = len(errors)
            return result


# -- report --------------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return round(float(statistics.median(values)), 3) if values else 0.0


def median_ms(values: list[float | None]) -> float | None:
    """Median where None means 'not answered within the window' (counts as slowest)."""
    if not values:
        return None
    ordered = sorted(values, key=lambda v: float("inf") if v is None else v)
    mid = ordered[len(ordered) // 2] if len(ordered) % 2 else None
    if len(ordered) % 2 == 0:
        a, b = ordered[len(ordered) // 2 - 1], ordered[len(ordered) // 2]
        mid = None if a is None or b is None else (a + b) / 2
    return None if mid is None else round(mid, 2)


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "timeout"
    if value < 10:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError, FileNotFoundError):
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def table(results: dict[str, Any]) -> str:
    dbs = [k for k in ("sqlite", "postgresql") if k in results["databases"]]
    names = {"sqlite": "SQLite (WAL)", "postgresql": "PostgreSQL"}
    plan = results["plan"]
    data = results["databases"]
    rows: list[tuple[str, list[str], str]] = []

    def row(label: str, cell: Callable[[dict[str, Any]], str], target: str = "") -> None:
        rows.append((label, [cell(data[d]) for d in dbs], target))

    def lat(value: float | None) -> str:  # None: not all answered within the window
        return fmt_ms(value) if value is not None else f"> {plan['grace_seconds']:g} s"

    tool = data[dbs[0]]["throughput"]["tool"]
    conns = plan["conns"]
    row(
        f"Ingest rate, webhook (events/s, {conns} conns, {tool})",
        lambda d: f"{d['throughput']['median']['webhook_rate']:.0f}",
    )
    row(
        f"Bare endpoint rate (req/s, {conns} conns, {tool})",
        lambda d: f"{d['throughput']['median']['bare_rate']:.0f}",
    )
    row(
        "Server CPU per request, webhook / bare (ms, at max throughput)",
        lambda d: (
            f"{fmt_ms(d['throughput']['median']['webhook_cpu_ms'])} / "
            f"{fmt_ms(d['throughput']['median']['bare_cpu_ms'])}"
        ),
    )
    row(
        "Server process CPU during webhook max throughput (cores)",
        lambda d: f"{d['throughput']['median']['webhook_server_cores']:.2f}",
    )
    row(
        "Ingest / bare ratio (median of per-run ratios)",
        lambda d: f"{d['throughput']['median']['ratio']:.2f}",
        "≥ 0.60",
    )
    for rate in plan["rates"]:
        for name in ("webhook", "bare"):

            def cell(d: dict[str, Any], r: str = str(rate), n: str = name) -> str:
                m = d["latency"]["median"][r][n]
                text = f"{lat(m['p50_ms'])} / {lat(m['p99_ms'])}"
                if m["achieved"] < 0.97 * float(r):
                    text += f" (served {m['achieved']:.0f}/s)"
                return text

            target = "p99 ≤ 20 (SQLite)" if name == "webhook" and rate == 1000 else ""
            row(f"{name.capitalize()} p50 / p99 at {rate}/s offered (ms)", cell, target)
    row(
        f"Webhook-to-applied, {NOOP_TYPE} → ignored (events/s)",
        lambda d: f"{d['applied_noop']['median']['rate']:.0f}",
    )
    row(
        f"Webhook-to-applied, {CHECKOUT_TYPE} → tenant active (events/s)",
        lambda d: f"{d['applied_checkout']['median']['rate']:.0f}",
    )
    row(
        "Server CPU per event, stored and applied (ms), unknown type / checkout",
        lambda d: (
            f"{fmt_ms(d['applied_noop']['median']['cpu_ms'])} / "
            f"{fmt_ms(d['applied_checkout']['median']['cpu_ms'])}"
        ),
    )
    row(
        "Other processes' CPU during the throughput runs (cores, median)",
        lambda d: f"{d['throughput']['median']['other_cores']:.2f}",
    )
    header = "| Metric | " + " | ".join(names[d] for d in dbs) + " | Target |"
    sep = "|---|" + "---:|" * len(dbs) + "---|"
    lines = [header, sep]
    lines += [f"| {label} | " + " | ".join(cells) + f" | {t} |" for label, cells, t in rows]
    return "\n".join(lines)


def verdicts(results: dict[str, Any]) -> list[str]:
    out = []
    for kind, data in results["databases"].items():
        ratio = data["throughput"]["median"]["ratio"]
        out.append(
            f"{kind}: ingest/bare {ratio:.2f} {'meets' if ratio >= 0.6 else 'MISSES'} ≥ 0.60"
        )
    sqlite = results["databases"].get("sqlite")
    if sqlite and "1000" in sqlite["latency"]["median"]:
        p99 = sqlite["latency"]["median"]["1000"]["webhook"]["p99_ms"]
        ok = p99 is not None and p99 <= 20
        out.append(
            f"sqlite: webhook p99 at 1000/s {fmt_ms(p99) + ' ms' if p99 else 'unbounded'} "
            f"{'meets' if ok else 'MISSES'} ≤ 20 ms"
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Webhook ingest benchmark", formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (a few minutes)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, help="runs per figure (median; default 3)")
    parser.add_argument("--conns", type=int, help="connections for the maximum throughput")
    parser.add_argument("--rates", help="offered rates, comma-separated (default 100,250,1000)")
    parser.add_argument("--inbox-workers", type=int, help="STEWARD_INBOX_WORKERS (default 1)")
    parser.add_argument("--server-log-level", help="STEWARD_LOG_LEVEL of the server (INFO)")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], help="phase 1 load tool")
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    overrides: dict[str, Any] = {}
    if args.runs:
        overrides["runs"] = max(1, args.runs)
    if args.conns:
        overrides["conns"] = args.conns
    if args.rates:
        overrides["rates"] = tuple(int(r) for r in args.rates.split(","))
    if args.inbox_workers is not None:
        overrides["inbox_workers"] = args.inbox_workers
    if args.server_log_level:
        overrides["server_log_level"] = args.server_log_level
    if args.tool:
        overrides["tool"] = args.tool
    if overrides:
        plan = Plan(**{**plan.__dict__, **overrides})
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]

    started = datetime.now(UTC)
    began = time.monotonic()
    results: dict[str, Any] = {
        "benchmark": "webhook ingest",
        "command": " ".join(["python -m bench.ingest", *(sys.argv[1:] if argv is None else argv)]),
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "plan": {**plan.__dict__, "rates": list(plan.rates), "quick": args.quick},
        "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix="steward-bench-") as tmp:
        bench = Bench(plan, Path(tmp))
        results["load_tool"] = {
            "throughput": "wrk " + wrk_version() if bench.closed_tool() == "wrk" else "loadgen",
            "fixed_rate_and_applied": "bench.loadgen (asyncio + uvloop, raw HTTP/1.1, open loop)",
        }
        for kind in kinds:
            print(f"[{kind}] starting", flush=True)
            results["databases"][kind] = bench.database(kind)
    results["elapsed_s"] = round(time.monotonic() - began, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"ingest-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    results["table"] = table(results)
    results["verdicts"] = verdicts(results)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(results["table"])
    print()
    for line in results["verdicts"]:
        print(f"- {line}")
    print(f"\n{results['elapsed_s']:.0f} s; results in {out.relative_to(ROOT)}")


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()
    return first[0].split(" [")[0].removeprefix("wrk ") if first else ""


if __name__ == "__main__":
    main()
