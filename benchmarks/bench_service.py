"""HTTP service latency and throughput: /feed and /events over loopback, against a bare
constant route of the same app measured in the same run.

Run it as::

    .venv/bin/python benchmarks/bench_service.py [--rate 200] [--duration 30]
        [--max-requests 100000] [--batch 1000] [--senders 2] [--timeout 10]
        [--connections 64] [--serial 200] [--soak SECONDS] [--no-events]
        [--out benchmarks/results/service.json]

Setup (never timed): a fresh SQLite store in a temporary folder, the seeded demo world
(``mindshare demo``: people u0001-u0200, items i0001-i0300), an activated
``ease-recency`` model and an API key with the read and ingest scopes, all made with the
``mindshare`` command line. The server is this script run with ``--serve``: it builds
``create_app()`` exactly as ``mindshare serve`` does, adds ``GET /bench/constant``
(a constant dict, so the framework's floor on this machine: routing, middleware, JSON,
h11) and runs uvicorn on a free port of 127.0.0.1 with the per-key rate limit raised out
of the way. It is always stopped at the end (terminate, then kill).

Phases, in order, after 20 unmeasured warm-up requests to each route:

* ``constant serial`` and ``feed serial``: ``--serial`` requests one after the other,
  the time to serve one with nothing queued (the second ratio printed).
* ``constant`` and ``feed`` are open-loop: request ``i`` is due at ``t0 + i / rate``
  whether or not earlier ones have answered, for ``--duration`` seconds (at most
  ``--max-requests``), and its latency runs from when it was due, so time spent queueing
  in the client or in the server counts (no coordinated omission). At most
  ``--connections`` requests are in flight, on kept-alive connections; the rest wait in
  the client, in line. The GETs go through ``KeepAliveClient`` (bare asyncio streams, one
  write and two reads a request), so that the load generator takes as little as it can of
  the cores it shares with the server; the events phases still post with httpx.
  ``feed`` asks ``/v1/worlds/demo/feed/{user}?k=10`` for people drawn at random (numpy
  seed 0); each feed is served with the active model and recorded in the store.
* ``events`` is closed-loop: ``--senders`` clients each POST a batch of ``--batch`` new
  ``view`` events (random people and items) as soon as the previous answer arrives, for
  ``--duration`` seconds. The views happened just now, as a world sends them: ``ts`` is
  the send time less a random lag of up to 30 s, dwell 1-60 s. It reports accepted
  events per second, the latency of a batch, and the median batch latency in the first
  and the last tenth of the phase (whether ingest slows down as the day's events pile up).
* ``events backfill`` (no target): the same, but ``ts`` random within the last hour, so
  every batch lands across the whole hour: the worst case for an incremental refresh.
* ``--soak SECONDS`` (off by default): ``feed`` again, open-loop at ``--rate`` for that
  long, with errors and percentiles per minute.

``--no-events`` skips both events phases (the soak then follows ``feed``), for quick runs
while working on the feed.

An error is a non-2xx answer, a broken connection, a request unanswered ``--timeout``
seconds after it was due (sent, for events), and for events a batch whose events were not
all accepted. Percentiles are over every request, a failed one counted at the time it
failed; errors are also counted by kind (a status, or the exception's name). The client
shares the machine with the server, so the load average at start and end is part of the
result, and so is ``client lag``: how late the load generator's own event loop woke up at
worst (more than a few ms, and the client was starved of CPU). Each phase also reports
the CPU time (user and system) per request that the server process and the load
generator spent on it: unlike latency, it hardly changes with what else the machine
runs, so the feed's CPU over the constant route's is the steadiest comparison.

Targets (issue 12): feed p99 ≤ 25 ms at 200 requests/s; events ≥ 20,000/s in batches of
1,000; a soak without errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

SEED = 0
WORLD = "demo"
PEOPLE = 200
ITEMS = 300
WARMUP_REQUESTS = 20
CONSTANT_PATH = "/bench/constant"
DEFAULT_OUT = Path(__file__).with_name("results") / "service.json"
TARGET_FEED_P99_MS = 25.0
TARGET_EVENTS_PER_S = 20_000.0
#: Fixed-width stand-in for the batch number inside a pre-built batch of events.
BATCH_MARK = "@@BATCH@@"
#: Live views: ``ts`` up to this long before the send, dwell between these (ms).
LIVE_LAG_MS = 30_000
LIVE_DWELL_MS = (1_000, 60_000)

T = TypeVar("T")

console = Console(width=None if sys.stdout.isatty() else 120)


@dataclass(frozen=True, slots=True)
class Phase:
    """What one phase measured; latencies in milliseconds, throughput in answers a second."""

    phase: str
    mode: str
    rate: float | None
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    throughput: float
    #: The load generator's own event loop at its latest (a check on the client, not a
    #: measurement of the server: more than a few ms and the client was starved).
    client_lag_max_ms: float
    #: CPU time (user and system) per request that the server process and the load
    #: generator spent during the phase: robust to a busy machine, unlike latency.
    server_cpu_ms_per_request: float
    client_cpu_ms_per_request: float
    #: The errors by what went wrong (a status, or an exception's name).
    errors_by_kind: dict[str, int]


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: when it was due (loop time), how long it took from then, whether it
    succeeded, and how many events it carried that were accepted (events only)."""

    due: float
    latency_s: float
    ok: bool
    accepted: int = 0
    #: What went wrong with a GET that failed: its status, or the exception's name.
    error: str = ""


# --- the server -------------------------------------------------------------------------


def serve(port: int) -> None:
    """Run the service with the benchmark's constant route (the ``--serve`` mode)."""
    import uvicorn

    from mindshare.service import create_app

    app = create_app()

    @app.get(CONSTANT_PATH, include_in_schema=False)
    def constant() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on (now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    """Run the ``mindshare`` command line of this interpreter's environment; its stdout."""
    program = Path(sys.executable).with_name("mindshare")
    done = subprocess.run(
        [str(program), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"mindshare {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def prepare(folder: Path) -> tuple[dict[str, str], str]:
    """A fresh store with the demo world and an active model; the environment and a key."""
    env = {
        **os.environ,
        "MINDSHARE_DATABASE_URL": f"sqlite:///{folder / 'service.db'}",
        "MINDSHARE_ARTIFACTS_DIR": str(folder / "artifacts"),
        # The limiter would otherwise be what is measured.
        "MINDSHARE_API_RATE_PER_S": "1000000",
        "MINDSHARE_API_BURST": "1000000",
    }
    cli(env, "init")
    cli(env, "demo", "--world", WORLD, "--seed", str(SEED))
    stats = json.loads(cli(env, "stats", "--world", WORLD, "--json"))
    if (stats["people"], stats["items"]) != (PEOPLE, ITEMS):
        raise SystemExit(
            f"the demo world changed: {stats['people']} people, {stats['items']} items"
        )
    cli(env, "train", "--model", "ease-recency", "--world", WORLD, "--activate")
    key = json.loads(
        cli(
            env,
            "keys",
            "create",
            "--world",
            WORLD,
            "--scopes",
            "read,ingest",
            "--name",
            "bench",
            "--json",
        )
    )["key"]
    return env, str(key)


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """This script in ``--serve`` mode, answering /healthz, or SystemExit with its log."""
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"the server did not come up:\n{log.read_text()[-2000:]}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it has not stopped within 10 s."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the load ---------------------------------------------------------------------------


class KeepAliveClient:
    """GETs over at most ``connections`` kept-alive HTTP/1.1 connections, on bare asyncio
    streams: the load generator shares the cores with the server, and a general client
    (httpx builds a request, a response and their headers as objects) spends more of them
    per request than it should; here a request is one write and two reads.

    A request waits for a free connection here (none is opened beyond ``connections``);
    a connection whose request failed or was cut off is closed, never reused. A kept
    connection that the server has closed meanwhile (uvicorn closes one idle for 5 s) is
    replaced by a new one, and a GET that finds its kept connection closed before any of
    the answer arrived is sent once more on a new one, as browsers do.
    """

    def __init__(self, host: str, port: int, *, headers: dict[str, str], connections: int) -> None:
        self.host = host
        self.port = port
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._head = f" HTTP/1.1\r\nhost: {host}:{port}\r\n{extra}\r\n"
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._open: set[asyncio.StreamWriter] = set()
        self._gate = asyncio.Semaphore(connections)

    async def get(self, path: str) -> int:
        """GET ``path``; the answer's status (its body is read and dropped)."""
        request = f"GET {path}{self._head}".encode()
        async with self._gate:
            while self._idle:
                reader, writer = self._idle.pop()
                if not reader.at_eof():
                    try:
                        return await self._exchange(reader, writer, request)
                    except asyncio.IncompleteReadError as error:
                        if error.partial:
                            raise
                    except ConnectionError:
                        pass
                self._drop(writer)
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self._open.add(writer)
            return await self._exchange(reader, writer, request)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> int:
        """Send one request and read its answer; the connection is kept only if all went
        well and the server keeps it open."""
        reuse = False
        try:
            writer.write(request)
            head = (await reader.readuntil(b"\r\n\r\n")).lower()
            status = int(head[9:12])
            start = head.find(b"\r\ncontent-length:")
            if start < 0:
                raise ConnectionError("an answer without content-length")
            end = head.index(b"\r\n", start + 2)
            await reader.readexactly(int(head[start + 17 : end]))
            reuse = b"\r\nconnection: close" not in head
        finally:
            if reuse:
                self._idle.append((reader, writer))
            elif writer in self._open:
                self._drop(writer)
        return status

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        self._open.discard(writer)
        writer.close()

    async def aclose(self) -> None:
        """Close every connection."""
        for writer in self._open:
            writer.close()
        self._open.clear()
        self._idle.clear()


async def _get(client: KeepAliveClient, path: str, due: float, timeout: float) -> Sample:
    """GET ``path`` (once a connection is free); an answer later than ``timeout`` after it
    was due is a timeout."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout_at(due + timeout):
            status = await client.get(path)
        error = "" if 200 <= status < 300 else str(status)
    except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError) as failure:
        error = type(failure).__name__
    return Sample(due, loop.time() - due, not error, error=error)


async def serial(
    client: KeepAliveClient, path: Callable[[int], str], *, count: int, timeout: float
) -> tuple[list[Sample], float]:
    """``count`` GETs one after the other: the service time with nothing queued."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    return [await _get(client, path(i), loop.time(), timeout) for i in range(count)], t0


async def open_loop(
    client: KeepAliveClient,
    path: Callable[[int], str],
    *,
    rate: float,
    duration: float,
    max_requests: int,
    timeout: float,
) -> tuple[list[Sample], float]:
    """GET ``path(i)`` due at ``t0 + i / rate``; the samples and ``t0`` (loop time).

    At most the client's ``connections`` requests are in flight; the others wait their
    turn in the client, in line."""
    loop = asyncio.get_running_loop()
    total = min(max_requests, int(rate * duration))
    t0 = loop.time() + 0.05
    pending = []
    for i in range(total):
        due = t0 + i / rate
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        pending.append(asyncio.create_task(_get(client, path(i), due, timeout)))
    return list(await asyncio.gather(*pending)), t0


async def loop_lag(stop: asyncio.Event, period: float = 0.01) -> float:
    """The longest this event loop was late to wake up until ``stop`` (seconds): a load
    generator that cannot keep its own schedule would be measuring itself."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(period)
        worst = max(worst, loop.time() - before - period)
    return worst


@dataclass(frozen=True, slots=True)
class Watch:
    """The client loop's worst lag while a phase ran, and the CPU time (user and system)
    that the server and the load generator each spent on it, in seconds. CPU time per
    request is what a phase costs, whatever else the shared machine was doing."""

    lag_s: float
    server_cpu_s: float
    client_cpu_s: float


def process_cpu_s(pid: int) -> float:
    """User and system CPU seconds that process ``pid`` has used (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """User and system CPU seconds this process has used."""
    times = os.times()
    return times.user + times.system


async def watched(run: Awaitable[T], server_pid: int) -> tuple[T, Watch]:
    """``run``'s result, the client loop's worst lag and both sides' CPU time meanwhile."""
    stop = asyncio.Event()
    monitor = asyncio.create_task(loop_lag(stop))
    server_before, client_before = process_cpu_s(server_pid), own_cpu_s()
    try:
        result = await run
    finally:
        stop.set()
    lag = await monitor
    return result, Watch(
        lag_s=lag,
        server_cpu_s=process_cpu_s(server_pid) - server_before,
        client_cpu_s=own_cpu_s() - client_before,
    )


def event_templates(count: int, batch: int, rng: np.random.Generator) -> list[str]:
    """``count`` bodies of ``batch`` view events each, with ``BATCH_MARK`` in every
    event_id to be replaced by the batch number (so building a batch costs one replace,
    not a json.dumps, on a machine the server shares); ``ts`` within the last hour of now,
    so valid for the phase (which is shorter than the margin)."""
    now = datetime.now(UTC)
    bodies = []
    for template in range(count):
        users = rng.integers(1, PEOPLE + 1, batch)
        items = rng.integers(1, ITEMS + 1, batch)
        ages_s = rng.uniform(120, 3_300, batch)
        dwell = rng.integers(1_000, 60_000, batch)
        visible = rng.uniform(0.5, 1.0, batch)
        events = [
            {
                "event_id": f"bench-{BATCH_MARK}-{template}-{j}",
                "type": "view",
                "user_id": f"u{users[j]:04d}",
                "item_id": f"i{items[j]:04d}",
                "ts": (now - timedelta(seconds=float(ages_s[j]))).isoformat(
                    timespec="milliseconds"
                ),
                "dwell_ms": int(dwell[j]),
                "visible_fraction": round(float(visible[j]), 3),
            }
            for j in range(batch)
        ]
        bodies.append(json.dumps({"events": events}))
    return bodies


@dataclass(frozen=True, slots=True)
class LiveBatch:
    """A pre-built batch of view events whose people and ``ts`` are filled in at send time:
    the JSON around each event's person and timestamp, and each event's lag (ms)."""

    pieces: list[str]
    lag_ms: np.ndarray[Any, np.dtype[np.int64]]

    def body(self, number: int, population: int) -> str:
        """The batch as sent now, by people drawn from ``population`` for batch ``number``."""
        now_ms = int(time.time() * 1_000)
        stamps = np.datetime_as_string(
            (now_ms - self.lag_ms).astype("datetime64[ms]"), unit="ms", timezone="UTC"
        ).tolist()
        people = np.random.default_rng(number).integers(0, population, len(stamps)).tolist()
        fills: list[str] = []
        for person, stamp in zip(people, stamps, strict=True):
            fills += (f"p{person:07d}", stamp)
        woven = [piece for pair in zip(self.pieces[:-1], fills, strict=True) for piece in pair]
        return "".join([*woven, self.pieces[-1]]).replace(BATCH_MARK, f"{number:09d}")


def live_batches(count: int, batch: int, rng: np.random.Generator) -> list[LiveBatch]:
    """``count`` batches of ``batch`` view events that happen as they are sent (people of a
    large population, demo items, ``ts`` the send time less up to ``LIVE_LAG_MS``)."""
    batches = []
    for template in range(count):
        items = rng.integers(1, ITEMS + 1, batch)
        lag = rng.integers(0, LIVE_LAG_MS, batch)
        dwell = rng.integers(*LIVE_DWELL_MS, batch)
        visible = rng.uniform(0.5, 1.0, batch)
        events = [
            {
                "event_id": f"live-{BATCH_MARK}-{template}-{j}",
                "type": "view",
                "user_id": "@@FILL@@",
                "item_id": f"i{items[j]:04d}",
                "ts": "@@FILL@@",
                "dwell_ms": int(dwell[j]),
                "visible_fraction": round(float(visible[j]), 3),
            }
            for j in range(batch)
        ]
        pieces = json.dumps({"events": events}).split("@@FILL@@")  # person, ts, person, …
        batches.append(LiveBatch(pieces, lag))
    return batches


async def closed_loop_events(
    client: httpx.AsyncClient,
    make_body: Callable[[int], str],
    *,
    senders: int,
    duration: float,
    max_requests: int,
    timeout: float,
    batch: int,
    first: int,
) -> tuple[list[Sample], float]:
    """``senders`` loops each POSTing the next batch (``make_body(number)``) when the last
    one answered."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    end = t0 + duration
    counter = iter(range(first, first + max_requests))
    samples: list[Sample] = []
    headers = {"content-type": "application/json"}

    async def sender() -> None:
        for number in counter:
            if loop.time() >= end:
                return
            body = make_body(number)
            due = loop.time()
            accepted = 0
            try:
                async with asyncio.timeout(timeout):
                    answer = await client.post(
                        f"/v1/worlds/{WORLD}/events",
                        content=body,
                        headers=headers,
                        timeout=timeout,
                    )
                if answer.is_success:
                    accepted = int(answer.json()["accepted"])
                ok = answer.is_success and accepted == batch
            except (httpx.HTTPError, TimeoutError):
                ok = False
            samples.append(Sample(due, loop.time() - due, ok, accepted))

    await asyncio.gather(*(sender() for _ in range(senders)))
    return samples, t0


def summarize(
    phase: str,
    mode: str,
    rate: float | None,
    measured: tuple[tuple[list[Sample], float], Watch],
    count: Callable[[Sequence[Sample]], int],
) -> Phase:
    """Percentiles over every sample; throughput is successful answers (or accepted
    events, ``count``) over the time from the first due request to the last answer."""
    (samples, t0), watch = measured
    latencies = np.array([s.latency_s for s in samples]) * 1_000
    seconds = max(s.due + s.latency_s for s in samples) - t0
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    return Phase(
        phase=phase,
        mode=mode,
        rate=rate,
        requests=len(samples),
        errors=sum(not s.ok for s in samples),
        seconds=round(seconds, 3),
        p50_ms=round(float(p50), 2),
        p95_ms=round(float(p95), 2),
        p99_ms=round(float(p99), 2),
        max_ms=round(float(latencies.max()), 2),
        throughput=round(count(samples) / seconds, 1),
        client_lag_max_ms=round(watch.lag_s * 1_000, 1),
        server_cpu_ms_per_request=round(watch.server_cpu_s * 1_000 / len(samples), 3),
        client_cpu_ms_per_request=round(watch.client_cpu_s * 1_000 / len(samples), 3),
        errors_by_kind=dict(Counter(s.error or "failed" for s in samples if not s.ok)),
    )


def per_minute(samples: Sequence[Sample], t0: float) -> list[dict[str, Any]]:
    """The soak's requests by the minute they were due in."""
    minutes: dict[int, list[Sample]] = {}
    for s in samples:
        minutes.setdefault(int((s.due - t0) // 60), []).append(s)
    rows = []
    for minute, group in sorted(minutes.items()):
        latencies = np.array([s.latency_s for s in group]) * 1_000
        p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
        rows.append(
            {
                "minute": minute + 1,
                "requests": len(group),
                "errors": sum(not s.ok for s in group),
                "p50_ms": round(float(p50), 2),
                "p95_ms": round(float(p95), 2),
                "p99_ms": round(float(p99), 2),
                "max_ms": round(float(latencies.max()), 2),
            }
        )
    return rows


async def run_phases(
    base_url: str, key: str, args: argparse.Namespace, server_pid: int
) -> tuple[list[Phase], dict[str, Any]]:
    """Every phase against the running server, in order."""
    rng = np.random.default_rng(SEED)
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    headers = {"authorization": f"Bearer {key}"}
    url = httpx.URL(base_url)
    getter = KeepAliveClient(
        str(url.host), int(url.port or 80), headers=headers, connections=args.connections
    )
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits) as client:
        people = [f"u{i:04d}" for i in rng.integers(1, PEOPLE + 1, args.max_requests)]

        def feed(i: int) -> str:
            return f"/v1/worlds/{WORLD}/feed/{people[i % len(people)]}?k=10"

        def constant(i: int) -> str:
            return CONSTANT_PATH

        for path in (constant, feed):
            for i in range(WARMUP_REQUESTS):
                status = await getter.get(path(i))
                if not 200 <= status < 300:
                    raise SystemExit(f"warm-up GET {path(i)} answered {status}")

        def answered(samples: Sequence[Sample]) -> int:
            return sum(s.ok for s in samples)

        def accepted(samples: Sequence[Sample]) -> int:
            return sum(s.accepted for s in samples)

        phases = []
        for name, path in (("constant", constant), ("feed", feed)):
            console.print(f"[bold]{name}[/]: {args.serial} requests one after the other")
            measured = await watched(
                serial(getter, path, count=args.serial, timeout=args.timeout), server_pid
            )
            phases.append(summarize(f"{name} serial", "serial", None, measured, answered))
        load = {
            "rate": args.rate,
            "duration": args.duration,
            "max_requests": args.max_requests,
            "timeout": args.timeout,
        }
        for name, path in (("constant", constant), ("feed", feed)):
            console.print(f"[bold]{name}[/]: {args.rate:g} requests/s for {args.duration:g} s")
            measured = await watched(open_loop(getter, path, **load), server_pid)
            phases.append(summarize(name, "open", args.rate, measured, answered))

        extras: dict[str, Any] = {"soak_per_minute": None}
        if not args.events:
            await soak(getter, feed, load, args, phases, extras, answered, server_pid)
            await getter.aclose()
            return phases, extras

        live = live_batches(8, args.batch, rng)
        templates = event_templates(8, args.batch, rng)

        def live_body(number: int) -> str:
            return live[number % len(live)].body(number, args.population)

        def backfill_body(number: int) -> str:
            return templates[number % len(templates)].replace(BATCH_MARK, f"{number:09d}")

        send = {"timeout": args.timeout, "batch": args.batch}
        warm, _ = await closed_loop_events(
            client, live_body, senders=1, duration=3600, max_requests=2, first=0, **send
        )
        if not all(s.ok for s in warm):
            raise SystemExit("the server refused the warm-up batches of events")
        for name, body, what in (
            ("events", live_body, "views of just now, by people of a large population"),
            ("events backfill", backfill_body, "views anywhere in the last hour"),
        ):
            console.print(
                f"[bold]{name}[/]: {args.senders} senders, batches of {args.batch:,}, {what}"
            )
            measured = await watched(
                closed_loop_events(
                    client,
                    body,
                    senders=args.senders,
                    duration=args.duration,
                    max_requests=args.max_requests,
                    first=2,
                    **send,
                ),
                server_pid,
            )
            phases.append(summarize(name, "closed", None, measured, accepted))
            ordered = sorted(measured[0][0], key=lambda s: s.due)
            tenth = max(1, len(ordered) // 10)
            key = name.replace(" ", "_")
            extras[f"{key}_batch_p50_ms_first_tenth"] = _p50_ms(ordered[:tenth])
            extras[f"{key}_batch_p50_ms_last_tenth"] = _p50_ms(ordered[-tenth:])
        await soak(getter, feed, load, args, phases, extras, answered, server_pid)
    await getter.aclose()
    return phases, extras


async def soak(
    getter: KeepAliveClient,
    feed: Callable[[int], str],
    load: dict[str, Any],
    args: argparse.Namespace,
    phases: list[Phase],
    extras: dict[str, Any],
    answered: Callable[[Sequence[Sample]], int],
    server_pid: int,
) -> None:
    """The ``--soak`` phase, when asked for: the feed again, for longer, minute by minute."""
    if args.soak <= 0:
        return
    console.print(f"[bold]soak[/]: feed at {args.rate:g} requests/s for {args.soak:g} s")
    long_load = {**load, "duration": args.soak, "max_requests": int(args.rate * args.soak)}
    measured = await watched(open_loop(getter, feed, **long_load), server_pid)
    phases.append(summarize("soak", "open", args.rate, measured, answered))
    extras["soak_per_minute"] = per_minute(*measured[0])


def _p50_ms(samples: Sequence[Sample]) -> float:
    return round(float(np.median([s.latency_s for s in samples])) * 1_000, 2)


# --- the report -------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where the numbers were measured (the load average is taken at start and end)."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "uvicorn": version("uvicorn"),
        "fastapi": version("fastapi"),
        "httpx": version("httpx"),
        "uvloop": _installed("uvloop"),
        "httptools": _installed("httptools"),
        "note": "server (one uvicorn process) and load generator share these cores",
    }


def _installed(name: str) -> bool:
    try:
        version(name)
    except Exception:
        return False
    return True


def targets(
    phases: Sequence[Phase],
    *,
    events_per_s: float | None,
    rate: float,
    batch: int,
    soak_s: float,
) -> list[dict[str, Any]]:
    """Issue 12's targets beside what was measured; a target not measured (or measured
    under other conditions: a lower rate, other batches, a shorter soak) is None."""
    by_name = {p.phase: p for p in phases}
    feed = by_name["feed"]
    soak = by_name.get("soak")
    return [
        {
            "target": f"feed p99 ≤ {TARGET_FEED_P99_MS:g} ms at 200 requests/s",
            "measured": f"{feed.p99_ms:g} ms at {rate:g}/s, {feed.errors} errors",
            "met": None if rate < 200 else feed.p99_ms <= TARGET_FEED_P99_MS and not feed.errors,
        },
        {
            "target": f"events ≥ {TARGET_EVENTS_PER_S:,.0f}/s in batches of 1,000",
            "measured": "not run"
            if events_per_s is None
            else f"{events_per_s:,.0f}/s in batches of {batch:,}",
            "met": None
            if events_per_s is None or batch != 1_000
            else events_per_s >= TARGET_EVENTS_PER_S,
        },
        {
            "target": "soak: 10 minutes at 200 requests/s with 0 errors",
            "measured": "not run"
            if soak is None
            else f"{soak.requests:,} requests in {soak.seconds:g} s, {soak.errors} errors",
            "met": None if soak is None or soak_s < 600 or rate < 200 else not soak.errors,
        },
    ]


def render(phases: Sequence[Phase], goals: Sequence[dict[str, Any]]) -> tuple[Table, Table]:
    """The phases and the targets as tables."""
    table = Table(
        title="Mindshare HTTP service over loopback (latency in ms; CPU in ms per request)"
    )
    columns = (
        "phase",
        "mode",
        "rate",
        "requests",
        "errors",
        "p50",
        "p95",
        "p99",
        "max",
        "per s",
        "client lag",
        "server cpu",
        "client cpu",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("phase", "mode") else "right")
    for p in phases:
        table.add_row(
            p.phase,
            p.mode,
            "-" if p.rate is None else f"{p.rate:g}",
            f"{p.requests:,}",
            str(p.errors),
            f"{p.p50_ms:.1f}",
            f"{p.p95_ms:.1f}",
            f"{p.p99_ms:.1f}",
            f"{p.max_ms:.1f}",
            f"{p.throughput:,.0f}" + (" events" if p.phase.startswith("events") else ""),
            f"{p.client_lag_max_ms:.0f}",
            f"{p.server_cpu_ms_per_request:.2f}",
            f"{p.client_cpu_ms_per_request:.2f}",
        )
    checks = Table(title="Targets (issue 12)")
    for column in ("target", "measured", "met"):
        checks.add_column(column)
    for goal in goals:
        met = {True: "[green]pass[/]", False: "[red]fail[/]", None: "-"}[goal["met"]]
        checks.add_row(goal["target"], goal["measured"], met)
    return table, checks


def render_minutes(rows: Sequence[dict[str, Any]]) -> Table:
    """The soak minute by minute."""
    table = Table(title="Soak: feed minute by minute (latency in ms)")
    for column in ("minute", "requests", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms"):
        table.add_column(column.removesuffix("_ms"), justify="right")
    for row in rows:
        table.add_row(*(f"{value:,}" for value in row.values()))
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per phase")
    parser.add_argument("--batch", type=int, default=1_000, help="events per POST")
    parser.add_argument("--senders", type=int, default=2, help="concurrent event senders")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--connections", type=int, default=64, help="requests in flight, at most")
    parser.add_argument("--serial", type=int, default=200, help="unloaded requests per route")
    parser.add_argument(
        "--population",
        type=int,
        default=1_000_000,
        help="people the live events come from (a world's daily actives; new ones are "
        "created on first sight)",
    )
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of feed soak (0: none)")
    parser.add_argument(
        "--no-events",
        dest="events",
        action="store_false",
        help="skip both events phases (the feed and constant routes alone, then any soak)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.port)
        return 0

    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        folder = Path(tmp)
        console.print("preparing a fresh store, the demo world, a model and a key")
        env, key = prepare(folder)
        port = free_port()
        server = start_server(env, port, folder / "server.log")
        try:
            phases, extras = asyncio.run(
                run_phases(f"http://127.0.0.1:{port}", key, args, server.pid)
            )
        finally:
            stop_server(server)
    load_end = os.getloadavg()

    by_name = {p.phase: p for p in phases}
    events_per_s = by_name["events"].throughput if args.events else None
    feed_over_constant = by_name["feed"].p50_ms / by_name["constant"].p50_ms
    cpu_over_constant = (
        by_name["feed"].server_cpu_ms_per_request / by_name["constant"].server_cpu_ms_per_request
    )
    serial_over_constant = by_name["feed serial"].p50_ms / by_name["constant serial"].p50_ms
    goals = targets(
        phases, events_per_s=events_per_s, rate=args.rate, batch=args.batch, soak_s=args.soak
    )
    table, checks = render(phases, goals)
    console.print(table)
    for p in phases:
        if p.errors_by_kind:
            kinds = ", ".join(f"{count} {kind}" for kind, count in p.errors_by_kind.items())
            console.print(f"{p.phase} errors: {kinds}")
    console.print(
        f"feed p50 / constant p50: {feed_over_constant:.1f}× at {args.rate:g} requests/s, "
        f"{serial_over_constant:.1f}× one at a time; server CPU per request "
        f"{cpu_over_constant:.1f}× the constant route's"
    )
    for name in ("events", "events_backfill") if args.events else ():
        console.print(
            f"{name.replace('_', ' ')}: batch p50 "
            f"{extras[f'{name}_batch_p50_ms_first_tenth']:g} ms in the first tenth of the "
            f"phase, {extras[f'{name}_batch_p50_ms_last_tenth']:g} ms in the last"
        )
    console.print(checks)
    if extras["soak_per_minute"] is not None:
        console.print(render_minutes(extras["soak_per_minute"]))
    cpus = os.cpu_count()
    console.print(
        f"machine: {cpus} cores; load average (1, 5, 15 min) "
        f"{' '.join(f'{x:.2f}' for x in load_start)} at start, "
        f"{' '.join(f'{x:.2f}' for x in load_end)} at end"
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "service",
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    **machine(),
                    "load_average_start": [round(x, 2) for x in load_start],
                    "load_average_end": [round(x, 2) for x in load_end],
                },
                "parameters": {
                    "rate": args.rate,
                    "duration": args.duration,
                    "max_requests": args.max_requests,
                    "batch": args.batch,
                    "senders": args.senders,
                    "timeout": args.timeout,
                    "connections": args.connections,
                    "serial": args.serial,
                    "soak": args.soak,
                    "warmup_requests": WARMUP_REQUESTS,
                    "seed": SEED,
                    "world": {"name": WORLD, "people": PEOPLE, "items": ITEMS},
                    "model": "ease-recency",
                    "store": "sqlite",
                },
                "phases": [asdict(p) for p in phases],
                "events_per_s": events_per_s,
                "events_backfill_per_s": by_name["events backfill"].throughput
                if args.events
                else None,
                "feed_p50_over_constant_p50": round(feed_over_constant, 2),
                "feed_serial_p50_over_constant_serial_p50": round(serial_over_constant, 2),
                "feed_server_cpu_over_constant_server_cpu": round(cpu_over_constant, 2),
                **extras,
                "targets": goals,
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
