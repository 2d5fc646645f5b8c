"""Ingestion throughput: a bulk load and a replay of N events, against a raw-insert baseline.

Run it as::

    .venv/bin/python benchmarks/bench_ingest.py [--events 1000000] [--batch-size 100000]
        [--postgresql-url URL] [--out benchmarks/results/ingest.json]

N events are generated once, deterministically (numpy seed 0), as wire-format dicts and
reused for every backend; generation is never timed. For each backend (SQLite in a
temporary directory always; PostgreSQL when ``--postgresql-url`` or
``MINDSHARE_TEST_DATABASE_URL`` is given, in fresh schemas dropped at the end) it measures:

* ``raw_insert``: the baseline, measured in the same run so that ratios mean something on a
  noisy machine: a plain driver ``executemany`` of the same rows, already validated as
  tuples, into an empty ``events`` table of a freshly migrated store (same shape, indexes,
  constraints and connection settings), one transaction per batch. On SQLite those
  settings check foreign keys, which ingestion's own batch transactions leave to
  ingestion (it creates people and looks items up itself), so ``ingest`` may exceed it;
* ``ingest``: ``ingest_events`` of all N into an empty world (creators and items are
  ingested first, untimed);
* ``replay``: ``ingest_events`` of the same N again, which must add no rows.

The JSON written to ``--out`` records the rates and each phase's ratio to ``raw_insert``;
``meets_target`` says whether SQLite's bulk ingest reaches ``target_sqlite_events_per_s``.
The exit status is 1 when a check fails (ingest did not store all N, or replay added rows).
"""

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from mindshare.events import (
    BULK_BATCH_SIZE,
    IngestReport,
    Limits,
    Problem,
    create_world,
    ingest_creators,
    ingest_events,
    ingest_items,
    ingest_people,
    validate_event,
)
from mindshare.store import connect, event_key, events, migrate

WORLD = "bench"
TARGET_SQLITE_EVENTS_PER_S = 100_000
SEED = 0
N_PEOPLE = 50_000
N_ITEMS = 20_000
N_CREATORS = 500
#: Event times fall in these 30 days, safely in the past so none is refused as future.
WINDOW_START = datetime(2026, 9, 1, tzinfo=UTC)
WINDOW_MS = 30 * 86_400_000
EVENT_TYPES = ("impression", "view", "click", "like", "session_start", "session_end")
EVENT_TYPE_SHARES = (0.56, 0.32, 0.06, 0.02, 0.02, 0.02)
SURFACES = ("home_feed", "search", "profile", "related", "notifications")
SURFACE_SHARES = (0.55, 0.15, 0.12, 0.15, 0.03)
ITEM_KINDS = ("content", "asset", "ad", "space")
ITEM_KIND_SHARES = (0.80, 0.10, 0.07, 0.03)
#: The columns ingestion writes: every column of the events table but its sequence key.
EVENT_COLUMNS = tuple(c.name for c in events.columns if not c.primary_key)
DEFAULT_OUT = Path(__file__).with_name("results") / "ingest.json"

console = Console()


@dataclass(frozen=True, slots=True)
class Workload:
    """What every backend is fed: the world's creators, items and people, and the events."""

    creators: list[dict[str, Any]]
    items: list[dict[str, Any]]
    people: list[dict[str, Any]]
    events: list[dict[str, Any]]
    #: The same events as validated rows in EVENT_COLUMNS order, for the raw baseline.
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Result:
    """One measured phase on one backend."""

    backend: str
    phase: str
    events: int
    seconds: float
    events_per_s: float
    rows_added: int
    ratio_to_raw_insert: float


def _zipf_weights(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray[Any, Any]:
    """Popularity shares that fall off as 1/rank^exponent, the ranks shuffled over the ids."""
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    rng.shuffle(weights)
    shares: np.ndarray[Any, Any] = weights / weights.sum()
    return shares


def generate(n: int, seed: int = SEED) -> Workload:
    """N events in the wire format, with the creators and items they refer to."""
    rng = np.random.default_rng(seed)
    creator_ids = [f"creator-{i:04d}" for i in range(N_CREATORS)]
    item_ids = [f"item-{i:05d}" for i in range(N_ITEMS)]
    user_ids = [f"user-{i:05d}" for i in range(N_PEOPLE)]

    creators = [{"creator_id": c, "name": f"Creator {i}"} for i, c in enumerate(creator_ids)]
    owner = rng.choice(N_CREATORS, size=N_ITEMS, p=_zipf_weights(N_CREATORS, 0.9, rng))
    kind = rng.choice(len(ITEM_KINDS), size=N_ITEMS, p=ITEM_KIND_SHARES)
    items = [
        {
            "item_id": item_id,
            "kind": ITEM_KINDS[k],
            "creator_id": creator_ids[o],
            "title": f"Item {i}",
        }
        for i, (item_id, o, k) in enumerate(
            zip(item_ids, owner.tolist(), kind.tolist(), strict=True)
        )
    ]
    people = [{"user_id": u} for u in user_ids]

    type_index = rng.choice(len(EVENT_TYPES), size=n, p=EVENT_TYPE_SHARES).tolist()
    users = rng.choice(N_PEOPLE, size=n, p=_zipf_weights(N_PEOPLE, 0.7, rng)).tolist()
    item_index = rng.choice(N_ITEMS, size=n, p=_zipf_weights(N_ITEMS, 1.05, rng)).tolist()
    ts_offsets = np.sort(rng.integers(0, WINDOW_MS, size=n)).tolist()
    view_dwell = np.clip(rng.lognormal(np.log(6_000), 1.0, size=n), 50, 600_000).astype(np.int64)
    session_dwell = np.clip(rng.lognormal(np.log(600_000), 1.0, size=n), 1_000, 86_400_000)
    visible = np.round(rng.beta(5.0, 1.5, size=n), 3).tolist()
    position = np.minimum(rng.geometric(0.12, size=n) - 1, 1_000_000).tolist()
    surface = rng.choice(len(SURFACES), size=n, p=SURFACE_SHARES).tolist()
    ids = rng.bytes(16 * n).hex()
    view_dwell_list = view_dwell.tolist()
    session_dwell_list = session_dwell.astype(np.int64).tolist()

    start_ms = int(WINDOW_START.timestamp() * 1000)
    received_ms = int(time.time() * 1000)
    records: list[dict[str, Any]] = []
    rows: list[tuple[Any, ...]] = []
    for i in range(n):
        event_type = EVENT_TYPES[type_index[i]]
        offset = ts_offsets[i]
        record: dict[str, Any] = {
            "event_id": ids[32 * i : 32 * i + 32],
            "type": event_type,
            "user_id": user_ids[users[i]],
            "ts": (WINDOW_START + timedelta(milliseconds=offset)).isoformat(
                timespec="milliseconds"
            ),
        }
        if event_type in ("session_start", "session_end"):
            if event_type == "session_end":
                record["dwell_ms"] = session_dwell_list[i]
        else:
            record["item_id"] = item_ids[item_index[i]]
            if event_type == "view":
                record["dwell_ms"] = view_dwell_list[i]
            if event_type in ("impression", "view"):
                record["visible_fraction"] = visible[i]
            if event_type != "like":
                record["position"] = position[i]
        record["surface"] = SURFACES[surface[i]]
        records.append(record)
        rows.append(
            (
                WORLD,
                record["event_id"],
                event_type,
                record["user_id"],
                start_ms + offset,
                record.get("item_id"),
                record.get("dwell_ms"),
                record.get("visible_fraction"),
                record.get("position"),
                record["surface"],
                None,
                None,
                received_ms,
                event_key(record["event_id"]),
            )
        )
    workload = Workload(creators, items, people, records, rows)
    _check_rows_match(workload)
    return workload


def _check_rows_match(workload: Workload, sample: int = 2_000) -> None:
    """The baseline's rows are what ingestion would store for the same records."""
    now_ms = int(time.time() * 1000)
    for record, row in zip(workload.events[:sample], workload.rows[:sample], strict=True):
        event = validate_event(record, world_id=WORLD, now_ms=now_ms, limits=Limits())
        assert not isinstance(event, Problem), f"generated an invalid event: {event}"
        stored = (
            WORLD,
            event.event_id,
            event.type.value,
            event.user_id,
            event.ts_ms,
            event.item_id,
            event.dwell_ms,
            event.visible_fraction,
            event.position,
            event.surface,
            event.value,
            None,
        )
        assert stored == row[:-2], f"{stored} != {row[:-2]}"
        assert row[-1] == event_key(event.event_id)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} ev/s" if speed else "", style="progress.data.speed")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        console=console,
    )


class Target:
    """Where one backend's stores live; ``store`` makes a fresh, migrated, empty one."""

    name: str

    def store(self, label: str) -> sa.Engine:
        raise NotImplementedError

    def close(self) -> None:
        """Remove every store made."""


class SqliteTarget(Target):
    name = "sqlite"

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="mindshare-bench-")
        self._engines: list[sa.Engine] = []

    def store(self, label: str) -> sa.Engine:
        engine = connect(f"sqlite:///{self._directory.name}/{label}.db")
        migrate(engine)
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        self._directory.cleanup()


class PostgresqlTarget(Target):
    name = "postgresql"

    def __init__(self, url: str) -> None:
        self._url = url
        self._admin = connect(url)
        self._run = uuid.uuid4().hex[:10]
        self._schemas: list[str] = []
        self._engines: list[sa.Engine] = []

    def store(self, label: str) -> sa.Engine:
        schema = f"bench_{self._run}_{label}"
        with self._admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        engine = connect(self._url, connect_args={"options": f"-csearch_path={schema}"})
        migrate(engine)
        self._engines.append(engine)
        return engine

    def server_version(self) -> str:
        with self._admin.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar())

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        with self._admin.begin() as connection:
            for schema in self._schemas:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self._admin.dispose()


def _count_events(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def seed_world(engine: sa.Engine, workload: Workload, *, people: bool) -> None:
    """The world, its creators and items (and, for the baseline, its people); untimed."""
    with engine.begin() as connection:
        create_world(connection, WORLD, name="Benchmark", now_ms=int(time.time() * 1000))
    for ingest, records in (
        (ingest_creators, workload.creators),
        (ingest_items, workload.items),
        *([(ingest_people, workload.people)] if people else []),
    ):
        report = ingest(engine, WORLD, records, source="bench")
        assert report.accepted == len(records), report.counts()


def _timed(description: str, total: int, run: Callable[[Callable[[int], None]], None]) -> float:
    """Seconds ``run`` takes, with a progress bar it advances by the events it has done."""
    with _progress() as progress:
        task = progress.add_task(description, total=total)

        def advance(done: int) -> None:
            progress.advance(task, done)

        started = time.perf_counter()
        run(advance)
        return time.perf_counter() - started


def _insert_sql(engine: sa.Engine) -> str:
    dialect = engine.dialect
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO {quote(events.name)} ({', '.join(quote(c) for c in EVENT_COLUMNS)}) "
        f"VALUES ({', '.join(marker for _ in EVENT_COLUMNS)})"
    )


def measure_raw_insert(target: Target, workload: Workload, batch_size: int) -> tuple[float, int]:
    """A plain driver executemany of the validated rows, one transaction per batch."""
    engine = target.store("raw")
    seed_world(engine, workload, people=True)
    sql = _insert_sql(engine)
    rows = workload.rows
    before = _count_events(engine)
    # The driver's own connection (sqlite3 / psycopg), opened with the store's settings
    # (SQLite: WAL, foreign keys, synchronous=FULL; PostgreSQL: the run's search_path).
    pooled = engine.raw_connection()
    try:
        driver: Any = pooled.driver_connection

        def run(advance: Callable[[int], None]) -> None:
            for start in range(0, len(rows), batch_size):
                batch = rows[start : start + batch_size]
                cursor = driver.cursor()
                cursor.executemany(sql, batch)
                cursor.close()
                driver.commit()
                advance(len(batch))

        seconds = _timed(f"{target.name} raw insert", len(rows), run)
    finally:
        pooled.close()
    return seconds, _count_events(engine) - before


def measure_ingest(
    target: Target, workload: Workload, batch_size: int
) -> tuple[tuple[float, int, IngestReport], tuple[float, int, IngestReport]]:
    """Bulk ingestion into an empty world, then a replay of the same events."""
    engine = target.store("ingest")
    seed_world(engine, workload, people=False)
    return (
        _measure_ingest_events(engine, f"{target.name} ingest", workload, batch_size),
        _measure_ingest_events(engine, f"{target.name} replay", workload, batch_size),
    )


def _measure_ingest_events(
    engine: sa.Engine, description: str, workload: Workload, batch_size: int
) -> tuple[float, int, IngestReport]:
    """Seconds one ``ingest_events`` of all the events takes, the rows it added, its report."""
    reports: list[IngestReport] = []
    before = _count_events(engine)

    def run(advance: Callable[[int], None]) -> None:
        reports.append(
            ingest_events(
                engine,
                WORLD,
                workload.events,
                source="bench",
                batch_size=batch_size,
                progress=lambda batch: advance(batch.submitted),
            )
        )

    seconds = _timed(description, len(workload.events), run)
    return seconds, _count_events(engine) - before, reports[0]


def bench_backend(
    target: Target, workload: Workload, batch_size: int
) -> tuple[list[Result], list[str]]:
    """The three phases on one backend, and the checks that failed."""
    n = len(workload.events)
    raw_seconds, raw_added = measure_raw_insert(target, workload, batch_size)
    ingested, replayed = measure_ingest(target, workload, batch_size)
    ingest_seconds, ingest_added, ingest = ingested
    replay_seconds, replay_added, replay = replayed
    failures = []
    if raw_added != n:
        failures.append(f"{target.name}: raw insert added {raw_added} rows, not {n}")
    if ingest_added != n or ingest.accepted != n:
        failures.append(
            f"{target.name}: ingest added {ingest_added} rows for {n} events {ingest.counts()}"
        )
    if replay_added != 0 or replay.duplicates != n:
        failures.append(
            f"{target.name}: replay added {replay_added} rows (want 0) {replay.counts()}"
        )
    raw_rate = n / raw_seconds

    def result(phase: str, seconds: float, added: int) -> Result:
        rate = n / seconds
        return Result(target.name, phase, n, seconds, rate, added, rate / raw_rate)

    results = [
        result("raw_insert", raw_seconds, raw_added),
        result("ingest", ingest_seconds, ingest_added),
        result("replay", replay_seconds, replay_added),
    ]
    return results, failures


def machine(postgresql_version: str | None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite_version": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }
    if postgresql_version is not None:
        info["postgresql_version"] = postgresql_version
    return info


def render(results: Sequence[Result], n: int, batch_size: int) -> Table:
    table = Table(title=f"Event ingestion, {n:,} events, batches of {batch_size:,}")
    for header in ("backend", "phase", "events", "seconds", "events/s", "rows added", "vs raw"):
        table.add_column(
            header, justify="left" if header in ("backend", "phase") else "right", no_wrap=True
        )
    for r in results:
        table.add_row(
            r.backend,
            r.phase,
            f"{r.events:,}",
            f"{r.seconds:.2f}",
            f"{r.events_per_s:,.0f}",
            f"{r.rows_added:,}",
            f"{r.ratio_to_raw_insert:.2f}x",
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000, help="events to ingest")
    parser.add_argument(
        "--postgresql-url",
        default=os.environ.get("MINDSHARE_TEST_DATABASE_URL"),
        help="also measure PostgreSQL here (default: $MINDSHARE_TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=BULK_BATCH_SIZE,
        help=f"events a transaction in every phase (default {BULK_BATCH_SIZE:,}, ingestion's)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write JSON")
    args = parser.parse_args(argv)
    n: int = args.events
    if n < 1:
        parser.error("--events must be at least 1")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")

    load_start = os.getloadavg()
    started = time.perf_counter()
    with console.status(f"generating {n:,} events (seed {SEED})"):
        workload = generate(n)
    console.print(f"generated {n:,} events in {time.perf_counter() - started:.1f} s (untimed)")

    targets: list[Target] = [SqliteTarget()]
    postgresql_version = None
    if args.postgresql_url:
        postgres = PostgresqlTarget(args.postgresql_url)
        postgresql_version = postgres.server_version()
        targets.append(postgres)

    results: list[Result] = []
    failures: list[str] = []
    for target in targets:
        try:
            backend_results, backend_failures = bench_backend(target, workload, args.batch_size)
        finally:
            target.close()
        results.extend(backend_results)
        failures.extend(backend_failures)

    sqlite_ingest = next(r for r in results if r.backend == "sqlite" and r.phase == "ingest")
    report = {
        # The machine may be shared: its load says how far the rates can be taken alone.
        "machine": {
            **machine(postgresql_version),
            "load_average_start": list(load_start),
            "load_average_end": list(os.getloadavg()),
        },
        "events": n,
        "batch_size": args.batch_size,
        "results": [asdict(r) for r in results],
        "target_sqlite_events_per_s": TARGET_SQLITE_EVENTS_PER_S,
        "meets_target": sqlite_ingest.events_per_s >= TARGET_SQLITE_EVENTS_PER_S,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    console.print(render(results, n, args.batch_size))
    verdict = "meets" if report["meets_target"] else "misses"
    console.print(
        f"SQLite ingest: {sqlite_ingest.events_per_s:,.0f} events/s, {verdict} the target of "
        f"{TARGET_SQLITE_EVENTS_PER_S:,}/s; results in {args.out}"
    )
    for failure in failures:
        console.print(f"[bold red]check failed:[/] {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
