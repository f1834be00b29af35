"""A small HTTP/1.1 load generator, run as a process of its own (``python -m bench.loadgen``).

Two modes, both over keep-alive connections to 127.0.0.1 only, both bounded in count and time:

* ``rate``: open loop at a fixed offered rate. Request *i* is due at ``start + i / rate``;
  its latency is measured from that due time, so a slow server (or a late generator) shows up
  in the figures instead of silently lowering the rate (no coordinated omission). A request
  that finds no idle connection opens a new one, up to ``--max-conns``.
* ``closed``: ``--conns`` connections each send their next request as soon as the previous
  answer arrives, until the requests or ``--duration`` run out: the maximum throughput.

Requests come from a file of lines ``<Stripe-Signature>\\t<JSON body>``; each line is sent at
most once. The result is one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
clock = time.perf_counter  # uvloop's loop.time() ticks in whole milliseconds
MAX_SECONDS = 600.0  # hard upper bound on any single run


def build_requests(path: Path, target: str, port: int) -> list[bytes]:
    out: list[bytes] = []
    for line in path.read_bytes().splitlines():
        if not line:
            continue
        signature, _, body = line.partition(b"\t")
        head = (
            f"POST {target} HTTP/1.1\r\n"
            f"Host: {HOST}:{port}\r\n"
            "Content-Type: application/json\r\n"
            f"Stripe-Signature: {signature.decode()}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = 0

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def roundtrip(self, request: bytes) -> int:
        """Send one request and read its whole answer; returns the status code."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for raw in head.split(b"\r\n")[1:]:
            name, _, value = raw.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value)
            elif lname == b"connection" and value.strip().lower() == b"close":
                close = True
        if length:
            await self.reader.readexactly(length)
        self.used += 1
        if close:
            raise ConnectionResetError("server closed the connection")
        return status

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds, per answered request
    lags: list[float] = field(default_factory=list)  # seconds the generator sent late
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    last_answer: float = 0.0  # clock() when the last answer arrived
    error_samples: list[str] = field(default_factory=list)
    opened: int = 0

    def error(self, exc: BaseException) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{type(exc).__name__}: {exc}")


def percentile(sorted_values: list[float], q: float, population: int) -> float | None:
    """Nearest-rank percentile over ``population`` requests, of which those missing from
    ``sorted_values`` never got an answer (they count as slower than any); None if it is one."""
    if population <= 0:
        return None
    k = max(0, math.ceil(q / 100 * population) - 1)
    return sorted_values[k] if k < len(sorted_values) else None


def summary(
    stats: Stats, elapsed: float, offered: int, extra: dict[str, Any], *, open_loop: bool
) -> dict[str, Any]:
    lat = sorted(stats.latencies)
    lags = sorted(stats.lags)
    population = offered if open_loop else len(lat)
    ok = sum(n for s, n in stats.statuses.items() if 200 <= s < 300)

    def ms(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 3)

    return {
        "offered": offered,
        "answered": len(lat),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "errors": stats.errors,
        "error_samples": stats.error_samples,
        "elapsed_s": round(elapsed, 4),
        "rate": round(ok / elapsed, 1) if elapsed > 0 else 0.0,
        "unanswered": offered - len(lat),
        "p50_ms": ms(percentile(lat, 50, population)),
        "p90_ms": ms(percentile(lat, 90, population)),
        "p99_ms": ms(percentile(lat, 99, population)),
        "max_ms": ms(lat[-1] if lat else None),
        "lag_p99_ms": ms(percentile(lags, 99, len(lags))),
        "lag_max_ms": ms(lags[-1] if lags else None),
        "connections_opened": stats.opened,
        **extra,
    }


async def run_rate(
    requests: list[bytes],
    port: int,
    rate: float,
    duration: float,
    grace: float,
    max_conns: int,
    warm: int,
) -> dict[str, Any]:
    count = min(len(requests), int(rate * duration))
    stats = Stats()
    idle: list[Conn] = []
    waiters: deque[asyncio.Future[Conn]] = deque()
    open_conns = 0
    for _ in range(min(warm, max_conns)):
        idle.append(await Conn.open(port))
        open_conns += 1
        stats.opened += 1

    async def acquire() -> Conn:
        nonlocal open_conns
        if idle:
            return idle.pop()
        if open_conns < max_conns:
            open_conns += 1
            stats.opened += 1
            try:
                return await Conn.open(port)
            except BaseException:
                open_conns -= 1
                raise
        waiter: asyncio.Future[Conn] = loop.create_future()
        waiters.append(waiter)
        return await waiter

    def release(conn: Conn) -> None:
        while waiters:  # someone is waiting for a connection: hand this one over
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        idle.append(conn)

    async def one(request: bytes, due: float) -> None:
        nonlocal open_conns
        try:
            conn = await acquire()
        except Exception as exc:
            stats.error(exc)
            return
        stats.lags.append(max(0.0, clock() - due))
        for attempt in (1, 2):
            try:
                status = await conn.roundtrip(request)
            except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
                conn.close()
                open_conns -= 1
                if attempt == 1 and conn.used > 0:  # a kept-alive connection the server closed
                    try:
                        conn = await Conn.open(port)
                    except Exception as exc2:
                        stats.error(exc2)
                        return
                    open_conns += 1
                    stats.opened += 1
                    continue
                stats.error(exc)
                return
            stats.last_answer = clock()
            stats.latencies.append(stats.last_answer - due)
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
            release(conn)
            return

    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    start = clock() + 0.05
    deadline = start + min(MAX_SECONDS, duration + grace)
    i = 0
    while i < count:
        now = clock()
        if now > deadline:
            break
        due = start + i / rate
        if due > now:
            await asyncio.sleep(due - now)
            continue
        while i < count and start + i / rate <= now:  # every request due by now
            task = asyncio.create_task(one(requests[i], start + i / rate))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
    sent_by = clock()
    if tasks:  # answers still due: wait for them until the deadline, no longer
        _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - clock()))
        for task in pending:
            task.cancel()
    # The served rate counts answers up to the last one (not the idle end of the grace time).
    elapsed = max(stats.last_answer, sent_by) - start
    for conn in idle:
        conn.close()
    return summary(
        stats,
        elapsed,
        i,
        {
            "mode": "rate",
            "target_rate": rate,
            "duration_s": duration,
            "send_window_s": round(sent_by - start, 4),
            "max_conns": max_conns,
            "grace_s": grace,
        },
        open_loop=True,
    )


async def run_closed(
    requests: list[bytes], port: int, conns: int, duration: float
) -> dict[str, Any]:
    stats = Stats()
    pool = [await Conn.open(port) for _ in range(conns)]
    stats.opened = conns
    next_index = 0
    start = clock()
    deadline = start + min(MAX_SECONDS, duration)

    async def worker(conn: Conn) -> None:
        nonlocal next_index
        while next_index < len(requests) and clock() < deadline:
            request = requests[next_index]
            next_index += 1
            sent = clock()
            try:
                status = await conn.roundtrip(request)
            except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
                stats.error(exc)
                conn.close()
                try:
                    conn = await Conn.open(port)
                except Exception as exc2:
                    stats.error(exc2)
                    return
                stats.opened += 1
                continue
            stats.latencies.append(clock() - sent)
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
        conn.close()

    await asyncio.wait_for(
        asyncio.gather(*(worker(c) for c in pool)), timeout=min(MAX_SECONDS, duration + 60)
    )
    elapsed = clock() - start
    return summary(
        stats,
        elapsed,
        next_index,
        {
            "mode": "closed",
            "conns": conns,
            "duration_s": duration,
            "exhausted": next_index >= len(requests),
            "wall_start": time.time() - elapsed,
        },
        open_loop=False,
    )


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop  # comes with uvicorn[standard]
    except ImportError:  # pragma: no cover
        return None
    return uvloop.new_event_loop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/webhooks/stripe")
    parser.add_argument("--requests", type=Path, required=True)
    parser.add_argument("--mode", choices=["rate", "closed"], required=True)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--grace", type=float, default=3.0, help="rate: wait for late answers")
    parser.add_argument("--conns", type=int, default=16)
    parser.add_argument("--max-conns", type=int, default=256)
    parser.add_argument("--warm-conns", type=int, default=16)
    args = parser.parse_args(argv)
    requests = build_requests(args.requests, args.path, args.port)
    if args.mode == "rate":
        coro = run_rate(
            requests,
            args.port,
            args.rate,
            args.duration,
            args.grace,
            args.max_conns,
            args.warm_conns,
        )
    else:
        coro = run_closed(requests, args.port, args.conns, args.duration)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        result = runner.run(coro)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
