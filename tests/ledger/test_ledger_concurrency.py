"""Many writers at once: threads sharing one ledger, and processes opening it by URL.

They move money between a few accounts that must not go negative, so batches contend
for the same rows and many are refused for overdraft; they also all send the same
"shared" transfers, so an id races with itself. Afterwards the ledger must still audit
clean, hold all the money it was given, and journal every accepted transfer once.
"""

import multiprocessing
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Barrier

import sqlalchemy as sa

from mindshare.ledger import Account, Ledger, Transfer

WORLD = "concurrency"
WALLETS = ("a", "b", "c", "d")
FUNDS = 1_000
THREADS = 8
PROCESSES = 3
OPERATIONS = 40
SHARED = 12
#: What a worker may be told, besides success: anything else is a bug.
EXPECTED_ERRORS = {"", "ExceedsCredits", "LinkedTransferFailed"}

#: (transfer id, status, error class name or "") for every result a worker got.
Outcome = tuple[str, str, str]
#: When a worker started and ended (a monotonic clock all processes share), and its outcomes.
Run = tuple[float, float, list[Outcome]]


def store_url(engine: sa.Engine) -> str:
    """A URL that reaches the same store as ``engine`` (its schema, on PostgreSQL)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def shared_transfer(k: int) -> Transfer:
    """The k-th transfer every worker sends, with the same id and body."""
    return Transfer(f"shared-{k}", WALLETS[k % 4], WALLETS[(k + 1) % 4], 150 + k, "USD", code=k)


def work(ledger: Ledger, worker: str, seed: int) -> Run:
    """Random transfers, linked pairs and two-phase transfers between the wallets."""
    started = time.monotonic()
    rng = random.Random(seed)
    outcomes: list[Outcome] = []

    def record(results: tuple[object, ...]) -> None:
        for result in results:
            error = getattr(result, "error", None)
            outcomes.append(
                (
                    getattr(result, "transfer_id", "?"),
                    getattr(result, "status", "?"),
                    type(error).__name__ if error is not None else "",
                )
            )

    shared_at = dict(zip(rng.sample(range(OPERATIONS), SHARED), range(SHARED), strict=True))
    for step in range(OPERATIONS):
        if step in shared_at:
            record(ledger.create_transfers([shared_transfer(shared_at[step])]))
            continue
        x, y, z = rng.sample(WALLETS, 3)
        kind = rng.choice(["plain", "plain", "linked", "pending"])
        prefix = f"{worker}-{step}"
        if kind == "plain":
            record(ledger.create_transfers([Transfer(prefix, x, y, rng.randint(1, 600), "USD")]))
        elif kind == "linked":
            record(
                ledger.create_transfers(
                    [
                        Transfer(f"{prefix}-0", x, y, rng.randint(1, 600), "USD"),
                        Transfer(f"{prefix}-1", y, z, rng.randint(1, 600), "USD"),
                    ],
                    linked=True,
                )
            )
        else:
            (reserved,) = ledger.create_transfers(
                [Transfer(prefix, x, y, rng.randint(1, 600), "USD", pending=True)]
            )
            record((reserved,))
            if reserved.status == "created":
                resolve = ledger.post_pending if rng.random() < 0.5 else ledger.void_pending
                record((resolve(prefix),))
    return started, time.monotonic(), outcomes


def work_in_a_process(
    url: str, worker: str, seed: int, start: Barrier, results: "multiprocessing.Queue[object]"
) -> None:
    """A process's worker: its own engine, opened by URL, started with everyone else."""
    try:
        with Ledger.open(url, world_id=WORLD) as ledger:
            ledger.balance("a")  # connected before the start
            start.wait(timeout=120)
            results.put((worker, work(ledger, worker, seed)))
    except BaseException as error:  # reported to the test, which fails with it
        results.put((worker, repr(error)))


def audit_until(ledger: Ledger, done: threading.Event) -> list[tuple[str, ...]]:
    """Audit over and over while the others write; the problems of every failed audit."""
    problems: list[tuple[str, ...]] = []
    audits = 0
    while not done.is_set() or audits == 0:
        report = ledger.audit()
        audits += 1
        if not report.ok:
            problems.append(report.problems)
    return problems


def fund(ledger: Ledger) -> None:
    ledger.create_accounts(
        [Account("mint", "platform", "platform", "USD")]
        + [Account(w, w, "person", "USD", debits_must_not_exceed_credits=True) for w in WALLETS]
    )
    ledger.create_transfers(
        [Transfer(f"fund-{w}", "mint", w, FUNDS, "USD") for w in WALLETS], linked=True
    ).raise_first_error()


def run_everyone(engine: sa.Engine) -> list[Run]:
    """Every thread's and every process's run, all of them started together."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES + 1)
    queue: multiprocessing.Queue[object] = context.Queue()
    processes = [
        context.Process(
            target=work_in_a_process,
            args=(store_url(engine), f"p{i}", 1_000 + i, start, queue),
        )
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    runs: list[Run] = []
    try:
        start.wait(timeout=120)
        shared = Ledger(engine, WORLD)
        with ThreadPoolExecutor(THREADS + 1) as pool:
            done = threading.Event()
            audits = pool.submit(audit_until, shared, done)
            futures = [pool.submit(work, shared, f"t{i}", i) for i in range(THREADS)]
            runs += [future.result() for future in futures]
            for _ in processes:
                worker, result = queue.get(timeout=120)  # type: ignore[misc]
                assert isinstance(result, tuple), f"process {worker} failed: {result}"
                runs.append(result)
            done.set()
            problems = audits.result()
        # Each audit read one snapshot: batches committed meanwhile were wholly in or out.
        assert problems == [], problems[:3]
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    assert all(process.exitcode == 0 for process in processes)
    return runs


def test_concurrent_writers_keep_every_invariant(database: sa.Engine) -> None:
    ledger = Ledger(database, WORLD)
    fund(ledger)

    runs = run_everyone(database)

    with database.connect() as connection:
        journal = Counter(
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT transfer_id FROM ledger_transfers WHERE world_id = 'concurrency'"
            )
        )
    outcomes = [outcome for _, _, worker_outcomes in runs for outcome in worker_outcomes]
    statuses = Counter((status, error) for _, status, error in outcomes)
    # At one moment every thread and every process was writing.
    assert max(started for started, _, _ in runs) < min(ended for _, ended, _ in runs)
    # Something was accepted and something refused: the writers really contended.
    assert statuses["created", ""] > 0
    assert statuses["failed", "ExceedsCredits"] > 0
    assert {error for _, _, error in outcomes} <= EXPECTED_ERRORS, statuses
    # Every id is journaled at most once, and every accepted one is journaled.
    assert max(journal.values()) == 1
    accepted = {transfer_id for transfer_id, status, _ in outcomes if status != "failed"}
    refused = {transfer_id for transfer_id, status, _ in outcomes if status == "failed"}
    assert accepted <= journal.keys()
    assert not (refused - accepted) & journal.keys()
    assert journal.keys() - accepted == {f"fund-{w}" for w in WALLETS}
    # A shared id is created by one writer at most; the others see it exists.
    for k in range(SHARED):
        created = [o for o in outcomes if o[0] == f"shared-{k}" and o[1] == "created"]
        assert len(created) == (1 if f"shared-{k}" in journal else 0)
    # Only the workers' own ids could have been created, and only once.
    created_ids = Counter(t for t, status, _ in outcomes if status == "created")
    assert max(created_ids.values()) == 1
    # The money is all there, and no wallet went below zero.
    report = ledger.audit()
    assert report.ok, report.problems
    wallets = [ledger.balance(w) for w in WALLETS]
    assert sum(b.posted for b in wallets) == FUNDS * len(WALLETS)
    assert all(b.posted >= 0 and b.available >= 0 for b in wallets)
    assert all(b.debits_pending == b.credits_pending == 0 for b in wallets)
    assert ledger.balance("mint").posted == -FUNDS * len(WALLETS)
