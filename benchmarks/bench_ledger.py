"""Ledger throughput: transfers per second, single and batched, linked and not, on SQLite
and PostgreSQL with durable commits, each against a bare baseline measured in the same run.

Run it as::

    .venv/bin/python benchmarks/bench_ledger.py [--transfers 100000] [--batch 1000]
        [--accounts 10000] [--repeats 3] [--postgresql URL | --no-postgresql]
        [--out benchmarks/results/ledger.json]

Workload (numpy seed 0): ``--accounts`` person accounts flagged debits-must-not-exceed-
credits, each funded once from an unflagged mint account, then transfers between random
pairs of them of 1-100 minor units, so every check runs (ids, currency, both accounts,
the flag, idempotency) and none fails. Single transfers are committed one by one
(``--single`` of them); batches hold ``--batch`` transfers, unlinked or linked.

The baseline is what a ledger with no checks at all would cost on the same database with
the same connection settings (WAL and synchronous=FULL on SQLite; default durable commits
on PostgreSQL): per transfer, one INSERT into a table keyed by the transfer id and two
``UPDATE … SET balance = balance ± amount`` by account id, executed in the same batches.
``ratio`` is the ledger's rate over the baseline's at the same batch size. Each case runs
``--repeats`` times, each on a fresh database where the baseline runs first, and keeps the
best rate of each (this machine's disk makes single runs vary by ±40%). PostgreSQL runs
in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mindshare.ledger import Account, Ledger, Transfer
from mindshare.store import connect, migrate

SEED = 0
DEFAULT_OUT = Path(__file__).with_name("results") / "ledger.json"
DEFAULT_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CURRENCY = "USD"
FUNDING = 10**12

console = Console()


@dataclass(frozen=True, slots=True)
class Result:
    """One measured case."""

    backend: str
    case: str
    batch: int
    linked: bool
    transfers: int
    seconds: float
    per_second: float
    baseline_per_second: float
    ratio: float


@dataclass(frozen=True, slots=True)
class Workload:
    """Transfers between random pairs of accounts, as plain columns."""

    accounts: list[str]
    debit: list[str]
    credit: list[str]
    amount: list[int]


def generate(accounts: int, transfers: int) -> Workload:
    """Random pairs of distinct accounts and amounts of 1-100 minor units (seeded)."""
    rng = np.random.default_rng(SEED)
    ids = [f"acct-{i:07d}" for i in range(accounts)]
    debit = rng.integers(0, accounts, transfers)
    offset = rng.integers(1, accounts, transfers)
    credit = (debit + offset) % accounts
    amount = rng.integers(1, 101, transfers)
    return Workload(
        ids,
        [ids[i] for i in debit],
        [ids[i] for i in credit],
        [int(a) for a in amount],
    )


@contextmanager
def sqlite_engine() -> Iterator[sa.Engine]:
    """A fresh migrated SQLite file with the store's settings (WAL, synchronous=FULL)."""
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as folder:
        engine = connect(f"sqlite:///{Path(folder) / 'ledger.db'}")
        migrate(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgresql_engine(url: str) -> Iterator[sa.Engine]:
    """A fresh migrated schema on the PostgreSQL server at ``url``, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = connect(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = connect(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _timed(description: str, total: int, batch: int, run: Callable[[int, int], None]) -> float:
    """Seconds to call ``run(start, stop)`` over ``total`` transfers in batches of ``batch``."""
    with _progress() as progress:
        task = progress.add_task(description, total=total)
        started = time.perf_counter()
        for start in range(0, total, batch):
            stop = min(start + batch, total)
            run(start, stop)
            progress.update(task, completed=stop)
        return time.perf_counter() - started


def measure_ledger(
    engine: sa.Engine, workload: Workload, n: int, batch: int, linked: bool, tag: str
) -> float:
    """Seconds for the ledger to write ``n`` transfers of the workload in batches."""
    world = f"bench-{tag}"
    ledger = Ledger(engine, world)
    mint = Account("mint", "platform", "platform", CURRENCY)
    people = [
        Account(a, a, "person", CURRENCY, debits_must_not_exceed_credits=True)
        for a in workload.accounts
    ]
    for start in range(0, len(people), 5000):
        ledger.create_accounts([mint, *people[start : start + 5000]])
    funding = [Transfer(f"fund-{a}", "mint", a, FUNDING, CURRENCY) for a in workload.accounts]
    for start in range(0, len(funding), 5000):
        ledger.create_transfers(funding[start : start + 5000]).raise_first_error()

    def run(start: int, stop: int) -> None:
        transfers = [
            Transfer(
                f"{tag}-{i}",
                workload.debit[i],
                workload.credit[i],
                workload.amount[i],
                CURRENCY,
            )
            for i in range(start, stop)
        ]
        results = ledger.create_transfers(transfers, linked=linked)
        if len(results) != stop - start or not results.ok:
            raise SystemExit(f"the ledger refused a benchmark transfer: {results.failed[:1]}")

    seconds = _timed(f"ledger {tag}", n, batch, run)
    if not ledger.audit().ok:
        raise SystemExit("the audit failed after the benchmark")
    return seconds


def measure_baseline(engine: sa.Engine, workload: Workload, n: int, batch: int, tag: str) -> float:
    """Seconds for bare SQL, no checks: one insert and two balance updates per transfer."""
    marker = "%s" if engine.dialect.name == "postgresql" else "?"
    accounts, transfers = f"bare_accounts_{tag}", f"bare_transfers_{tag}"
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE TABLE {accounts} (id VARCHAR(128) PRIMARY KEY, balance BIGINT NOT NULL)"
        )
        connection.exec_driver_sql(
            f"CREATE TABLE {transfers} (id VARCHAR(128) PRIMARY KEY, debit VARCHAR(128) NOT NULL,"
            " credit VARCHAR(128) NOT NULL, amount BIGINT NOT NULL)"
        )
        connection.exec_driver_sql(
            f"INSERT INTO {accounts} (id, balance) VALUES ({marker}, {marker})",
            [(a, FUNDING) for a in workload.accounts],
        )
    insert = f"INSERT INTO {transfers} VALUES ({marker}, {marker}, {marker}, {marker})"
    update = f"UPDATE {accounts} SET balance = balance + {marker} WHERE id = {marker}"

    def run(start: int, stop: int) -> None:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            rows = range(start, stop)
            connection.exec_driver_sql(
                insert,
                [
                    (f"{tag}-{i}", workload.debit[i], workload.credit[i], workload.amount[i])
                    for i in rows
                ],
            )
            connection.exec_driver_sql(
                update,
                [
                    change
                    for i in rows
                    for change in (
                        (-workload.amount[i], workload.debit[i]),
                        (workload.amount[i], workload.credit[i]),
                    )
                ],
            )
            connection.commit()

    return _timed(f"baseline {tag}", n, batch, run)


def bench_backend(
    backend: str, engine_factory: Callable[[], Any], workload: Workload, args: argparse.Namespace
) -> list[Result]:
    """Every case on one backend, ``--repeats`` times, each time on a fresh database with
    the baseline measured first in that same database; the best rate of each is kept (the
    least disturbed by other work on the machine)."""
    cases = [
        ("single", args.single, 1, False),
        ("batched", args.transfers, args.batch, False),
        ("batched linked", args.transfers, args.batch, True),
    ]
    results = []
    for case, n, batch, linked in cases:
        tag = case.replace(" ", "_")
        best_seconds, best_baseline = float("inf"), float("inf")
        for repeat in range(args.repeats):
            with engine_factory() as engine:
                baseline = measure_baseline(engine, workload, n, batch, f"b{repeat}")
                seconds = measure_ledger(engine, workload, n, batch, linked, f"{tag}{repeat}")
            best_seconds, best_baseline = min(best_seconds, seconds), min(best_baseline, baseline)
        rate, bare = n / best_seconds, n / best_baseline
        results.append(
            Result(
                backend,
                case,
                batch,
                linked,
                n,
                round(best_seconds, 4),
                round(rate, 1),
                round(bare, 1),
                round(rate / bare, 3),
            )
        )
        console.print(f"{backend} {case}: {rate:,.0f}/s ({rate / bare:.0%} of bare)")
    return results


def machine(postgresql: str | None) -> dict[str, Any]:
    """Where the numbers were measured."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "postgresql": postgresql,
    }


def _postgresql_version(url: str) -> str:
    engine = connect(url)
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar())
    finally:
        engine.dispose()


def render(results: Sequence[Result]) -> Table:
    """The results as a table."""
    table = Table(title="Ledger transfers per second (durable commits)")
    for column in ("backend", "case", "batch", "transfers", "per second", "bare", "ratio"):
        table.add_column(column, justify="left" if column in ("backend", "case") else "right")
    for r in results:
        table.add_row(
            r.backend,
            r.case,
            str(r.batch),
            f"{r.transfers:,}",
            f"{r.per_second:,.0f}",
            f"{r.baseline_per_second:,.0f}",
            f"{r.ratio:.0%}",
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgresql", default=DEFAULT_POSTGRESQL)
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    workload = generate(args.accounts, max(args.transfers, args.single))
    results = bench_backend("sqlite", sqlite_engine, workload, args)
    postgresql_version = None
    if not args.no_postgresql:
        postgresql_version = _postgresql_version(args.postgresql)
        results += bench_backend(
            "postgresql", lambda: postgresql_engine(args.postgresql), workload, args
        )
    console.print(render(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "ledger",
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine(postgresql_version),
                # Other work on the machine slows both the ledger and its baseline: the
                # 1, 5 and 15-minute load averages before and after the run say how much.
                "load_average": {"before": load_before, "after": os.getloadavg()},
                "workload": {
                    "accounts": args.accounts,
                    "transfers": args.transfers,
                    "single": args.single,
                    "batch": args.batch,
                    "repeats": args.repeats,
                    "seed": SEED,
                },
                "results": [asdict(r) for r in results],
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
