"""A writer killed with SIGKILL mid-run leaves whole linked batches or none, and a restart
that sends the same ids again duplicates nothing.

The writer is a separate Python process writing linked batch ``k`` as ids ``b{k}-0..3``
(the last one pending) and then posting that pending transfer; it prints one line per
batch once both are committed.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from mindshare.ledger import Ledger

WORLD = "crash"
BATCH_SIZE = 4

WRITER = """
import json, sys
from mindshare.ledger import Account, Ledger, Transfer

url, world, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with Ledger.open(url, world_id=world) as ledger:
    ledger.create_accounts(
        [Account("mint", "platform", "platform", "USD")]
        + [Account(w, w, "person", "USD", debits_must_not_exceed_credits=True) for w in "abc"]
    )
    for k in range(first, last):
        results = ledger.create_transfers(
            [
                Transfer(f"b{k}-0", "mint", "a", 10, "USD"),
                Transfer(f"b{k}-1", "a", "b", 7, "USD"),
                Transfer(f"b{k}-2", "b", "c", 4, "USD"),
                Transfer(f"b{k}-3", "c", "a", 2, "USD", pending=True),
            ],
            linked=True,
        ).raise_first_error()
        post = ledger.post_pending(f"b{k}-3")
        print(json.dumps([k, [r.status for r in results], post.status]), flush=True)
"""


def store_url(engine: sa.Engine) -> str:
    """A URL that reaches the same store as ``engine`` (its schema, on PostgreSQL)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def writer(url: str, first: int, last: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", WRITER, url, WORLD, str(first), str(last)],
            stdout=out,
            stderr=subprocess.PIPE,
            cwd=log.parent,
        )


def lines_of(log: Path) -> list[list[object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def journal(engine: sa.Engine) -> Counter[str]:
    """How many times each transfer id is in the journal."""
    with engine.connect() as connection:
        return Counter(
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT transfer_id FROM ledger_transfers WHERE world_id = 'crash'"
            )
        )


def batches_of(ids: Counter[str]) -> tuple[int, int]:
    """The number of whole batches and of posts; fails on a part of a batch."""
    rows: Counter[int] = Counter()
    posts = 0
    for transfer_id in ids:
        batch, _, part = transfer_id[1:].partition("-")
        if part.endswith(":post"):
            posts += 1
        else:
            rows[int(batch)] += 1
    assert set(rows.values()) <= {BATCH_SIZE}, f"a linked batch was written in part: {rows}"
    assert sorted(rows) == list(range(len(rows))), "the batches written are not 0..k"
    return len(rows), posts


def assert_balances(ledger: Ledger, batches: int, posts: int) -> None:
    """Per batch: mint -> a 10, a -> b 7, b -> c 4, and c -> a 2 reserved, then posted."""
    assert ledger.balance("mint").posted == -10 * batches
    assert ledger.balance("a").posted == 3 * batches + 2 * posts
    assert ledger.balance("b").posted == 3 * batches
    assert ledger.balance("c").posted == 4 * batches - 2 * posts
    assert ledger.balance("c").debits_pending == 2 * (batches - posts)


def test_killed_writer_leaves_whole_batches_and_a_restart_duplicates_nothing(
    database: sa.Engine, tmp_path: Path
) -> None:
    url = store_url(database)
    ledger = Ledger(database, WORLD)
    seed = int.from_bytes(os.urandom(4), "big")
    first_log, second_log = tmp_path / "first.jsonl", tmp_path / "second.jsonl"

    # Prepare: a writer that would run for minutes, killed once it has written a few batches.
    process = writer(url, 0, 1_000_000, first_log)
    try:
        deadline = time.monotonic() + 60
        while len(lines_of(first_log)) < 3:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the writer wrote nothing in a minute"
            time.sleep(0.01)
        time.sleep(random.Random(seed).uniform(0, 0.3))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.stderr:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL

    # After the crash: whole batches only, each posted but perhaps the last.
    ids = journal(database)
    batches, posts = batches_of(ids)
    reported = len(lines_of(first_log))
    assert batches >= reported >= 3, seed
    assert posts in (batches - 1, batches), seed
    report = ledger.audit()
    assert report.ok, (seed, report.problems)
    assert_balances(ledger, batches, posts)

    # Restart from batch 0 with the same ids, and run a few batches further.
    again = writer(url, 0, batches + 3, second_log)
    _, errors = again.communicate(timeout=120)
    assert again.returncode == 0, errors.decode()

    lines = lines_of(second_log)
    assert [k for k, _, _ in lines] == list(range(batches + 3))
    for k, statuses, post in lines:
        old = k < batches
        assert statuses == ["exists" if old else "created"] * BATCH_SIZE, (seed, k)
        assert post == ("exists" if k < posts else "created"), (seed, k)
    ids = journal(database)
    assert max(ids.values()) == 1
    assert batches_of(ids) == (batches + 3, batches + 3)
    report = ledger.audit()
    assert report.ok, (seed, report.problems)
    assert_balances(ledger, batches + 3, batches + 3)


@pytest.mark.parametrize("batch", [0, 5])
def test_batches_of_ids_refuses_a_partial_batch(batch: int) -> None:
    whole = Counter(f"b{k}-{i}" for k in range(6) for i in range(BATCH_SIZE))
    del whole[f"b{batch}-2"]

    with pytest.raises(AssertionError, match="written in part"):
        batches_of(whole)
