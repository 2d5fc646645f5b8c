"""Write amplification of ingestion on SQLite: the bytes a commit writes, per event.

Run it as::

    .venv/bin/python benchmarks/bench_write_amplification.py [--events 1000000]
        [--live-batches 200] [--out benchmarks/results/write-amplification.json]

On SQLite a commit costs mostly the pages it writes: every page its transaction changed
goes to the write-ahead log once, and again to the database file at the next checkpoint.
This counts them, which, unlike seconds, hardly depends on what else the machine runs.
Checkpoints are held off for each run (``wal_autocheckpoint=0``), so the WAL's growth is
what the commits wrote; a page is 4,096 bytes and a WAL frame 4,120.

* ``bulk``: ``bench_ingest``'s events (numpy seed 0; random ids, so random keys) loaded
  with ``ingest_events`` into an empty world, at 10,000 and at 100,000 events a
  transaction; bytes per event over the whole load.
* ``live``: ``--live-batches`` batches of 1,000 views shaped like ``bench_service``'s
  events phase (people drawn from a million, so most are new; 300 items; ``ts`` up to
  30 s before now), each through ``engine.ingest`` in a transaction of its own (events,
  people created on first sight, attention refreshed); bytes per event over the first
  and the last tenth of the batches.

Each random index an event touches (its key, its person's views, its new person, its
attention row) costs about a page once the index outgrows the batch, so the per-event
cost grows with the world until each such insert writes a page of its own.
"""

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.progress import track
from rich.table import Table

from bench_ingest import WORLD, Workload, generate, machine, seed_world
from mindshare import engine
from mindshare.events import RecordKind, create_world, ingest_events
from mindshare.store import connect, migrate

DEFAULT_OUT = Path(__file__).with_name("results") / "write-amplification.json"
PAGE_BYTES = 4_096
#: Events a transaction of the bulk loads measured.
BULK_BATCH_SIZES = (10_000, 100_000)
LIVE_BATCH = 1_000
LIVE_POPULATION = 1_000_000
LIVE_ITEMS = 300
LIVE_LAG_MS = 30_000

console = Console()


def _store(directory: str, label: str) -> tuple[sa.Engine, Path]:
    """A fresh, migrated SQLite store whose connections never checkpoint."""
    path = Path(directory) / f"{label}.db"
    database = connect(f"sqlite:///{path}")
    migrate(database)

    @sa.event.listens_for(database, "connect")
    def _hold_checkpoints(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
        dbapi_connection.execute("PRAGMA journal_size_limit=-1")

    database.dispose()  # the migration's connections checkpointed; the next ones won't
    return database, path


def _wal_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def measure_bulk(directory: str, workload: Workload, batch_size: int) -> dict[str, Any]:
    """WAL bytes per event of a bulk load of the workload's events into an empty world."""
    n = len(workload.events)
    database, path = _store(directory, f"bulk-{batch_size}")
    seed_world(database, workload, people=False)
    with database.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    started = time.perf_counter()
    report = ingest_events(database, WORLD, workload.events, source="bench", batch_size=batch_size)
    seconds = time.perf_counter() - started
    assert report.accepted == n, report.counts()
    written = _wal_bytes(path)
    database.dispose()
    return {
        "workload": "bulk",
        "events_a_transaction": batch_size,
        "events": n,
        "wal_bytes_per_event": written / n,
        "pages_per_event": written / n / PAGE_BYTES,
        "seconds": seconds,
    }


def _live_batch(number: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    people = rng.integers(0, LIVE_POPULATION, LIVE_BATCH).tolist()
    items = rng.integers(1, LIVE_ITEMS + 1, LIVE_BATCH).tolist()
    lags = rng.integers(0, LIVE_LAG_MS, LIVE_BATCH).tolist()
    dwell = rng.integers(1_000, 60_000, LIVE_BATCH).tolist()
    visible = np.round(rng.uniform(0.5, 1.0, LIVE_BATCH), 3).tolist()
    return [
        {
            "event_id": f"live-{number}-{j}",
            "type": "view",
            "user_id": f"p{people[j]:07d}",
            "item_id": f"i{items[j]:04d}",
            "ts": (now - timedelta(milliseconds=lags[j])).isoformat(timespec="milliseconds"),
            "dwell_ms": dwell[j],
            "visible_fraction": visible[j],
        }
        for j in range(LIVE_BATCH)
    ]


def measure_live(directory: str, batches: int) -> dict[str, Any]:
    """WAL bytes per event of live batches of views through ``engine.ingest``."""
    database, path = _store(directory, "live")
    with database.begin() as connection:
        create_world(connection, WORLD, name="Benchmark", now_ms=int(time.time() * 1000))
    engine.ingest(database, WORLD, RecordKind.CREATORS, [{"creator_id": "c1"}])
    engine.ingest(
        database,
        WORLD,
        RecordKind.ITEMS,
        [
            {"item_id": f"i{i:04d}", "kind": "content", "creator_id": "c1"}
            for i in range(1, LIVE_ITEMS + 1)
        ],
    )
    rng = np.random.default_rng(0)
    per_batch: list[int] = []
    before = _wal_bytes(path)
    for number in track(range(batches), description="live batches", console=console):
        report = engine.ingest(database, WORLD, RecordKind.EVENTS, _live_batch(number, rng))
        assert report.accepted == LIVE_BATCH, report.counts()
        after = _wal_bytes(path)
        per_batch.append(after - before)
        before = after
    database.dispose()
    tenth = max(1, batches // 10)
    first = float(np.mean(per_batch[:tenth])) / LIVE_BATCH
    last = float(np.mean(per_batch[-tenth:])) / LIVE_BATCH
    return {
        "workload": "live",
        "events_a_transaction": LIVE_BATCH,
        "events": batches * LIVE_BATCH,
        "wal_bytes_per_event": last,
        "pages_per_event": last / PAGE_BYTES,
        "wal_bytes_per_event_first_tenth": first,
        "wal_bytes_per_event_last_tenth": last,
    }


def render(results: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="WAL bytes written per ingested event (SQLite, checkpoints held off)")
    for header in ("workload", "events a transaction", "events", "bytes/event", "pages/event"):
        table.add_column(header, justify="left" if header == "workload" else "right")
    for r in results:
        table.add_row(
            r["workload"] + (" (last tenth)" if r["workload"] == "live" else ""),
            f"{r['events_a_transaction']:,}",
            f"{r['events']:,}",
            f"{r['wal_bytes_per_event']:,.0f}",
            f"{r['pages_per_event']:.2f}",
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000, help="events of each bulk load")
    parser.add_argument("--live-batches", type=int, default=200, help="live batches of 1,000")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write JSON")
    args = parser.parse_args(argv)
    if args.events < 1 or args.live_batches < 1:
        parser.error("--events and --live-batches must be at least 1")

    results = []
    with console.status(f"generating {args.events:,} events"):
        workload = generate(args.events)
    with tempfile.TemporaryDirectory(prefix="mindshare-wal-") as directory:
        for batch_size in BULK_BATCH_SIZES:
            with console.status(f"bulk load, {batch_size:,} events a transaction"):
                results.append(measure_bulk(directory, workload, batch_size))
        results.append(measure_live(directory, args.live_batches))

    report = {
        "machine": machine(postgresql_version=None),
        "page_bytes": PAGE_BYTES,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(render(results))
    console.print(f"results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
