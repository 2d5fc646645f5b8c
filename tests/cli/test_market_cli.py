"""`mindshare market …`: deposit, sell, list, buy, bid, cancel and close from the command line."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mindshare.cli import app


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A store with world w1: creator c1 and her assets a1, a2; u1 and u2 have 5,000 each."""
    monkeypatch.setenv("MINDSHARE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner(env={"COLUMNS": "200"})
    assert runner.invoke(app, ["init"]).exit_code == 0
    creators = tmp_path / "creators.jsonl"
    creators.write_text(json.dumps({"creator_id": "c1"}) + "\n")
    items = tmp_path / "items.csv"
    items.write_text("item_id,kind,creator_id\na1,asset,c1\na2,asset,c1\n")
    for path, kind in ((creators, "creators"), (items, "items")):
        result = runner.invoke(app, ["ingest", str(path), "--world", "w1", "--kind", kind])
        assert result.exit_code == 0, result.output
    for user in ("u1", "u2"):
        deposit = ["market", "deposit", "-w", "w1", "--user", user, "--amount", "5000"]
        result = runner.invoke(app, [*deposit, "--reference", "r1"])
        assert result.exit_code == 0, result.output
    return runner


def run_json(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, ["market", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_fixed_listing_is_sold_and_the_price_split(runner: CliRunner) -> None:
    listed = run_json(
        runner, "sell", "-w", "w1", "--seller", "c1", "--item", "a1", "--price", "999"
    )
    listing_id = listed["listing_id"]
    assert [entry["listing_id"] for entry in run_json(runner, "list", "-w", "w1")] == [listing_id]

    trade = run_json(runner, "buy", "-w", "w1", "--buyer", "u1", "--listing", listing_id)

    assert trade["price_minor"] == 999
    assert (trade["seller_minor"], trade["creator_royalty_minor"], trade["platform_fee_minor"]) == (
        926,
        49,
        24,
    )
    assert run_json(runner, "list", "-w", "w1") == []


def test_bids_on_an_english_auction_and_an_early_close(runner: CliRunner) -> None:
    listed = run_json(
        runner,
        "sell",
        "-w",
        "w1",
        "--seller",
        "c1",
        "--item",
        "a2",
        "--kind",
        "english",
        "--price",
        "100",
        "--ends-in-hours",
        "2",
    )
    listing_id = listed["listing_id"]
    bid = ["market", "bid", "-w", "w1", "--listing", listing_id]

    first = run_json(
        runner, "bid", "-w", "w1", "--listing", listing_id, "--bidder", "u1", "--amount", "100"
    )
    low = runner.invoke(app, [*bid, "--bidder", "u2", "--amount", "100"])
    second = runner.invoke(app, [*bid, "--bidder", "u2", "--amount", "150"])

    assert first["seq"] == 1
    assert low.exit_code == 1
    assert "at least 101" in low.stderr
    assert second.exit_code == 0, second.output
    assert "u2 is the high bidder" in second.stdout
    [entry] = run_json(runner, "list", "-w", "w1")
    assert (entry["high_bidder_id"], entry["high_bid_minor"], entry["asking_minor"]) == (
        "u2",
        150,
        151,
    )
    assert run_json(runner, "close", "-w", "w1") == []
    refused = runner.invoke(
        app, ["market", "cancel", "-w", "w1", "--seller", "c1", "--listing", listing_id]
    )
    assert refused.exit_code == 1
    assert "cannot be cancelled once it has bids" in refused.stderr


def test_the_market_lists_as_a_table_and_errors_are_one_sentence(runner: CliRunner) -> None:
    sold = run_json(runner, "sell", "-w", "w1", "--seller", "c1", "--item", "a1", "--price", "7")

    table = runner.invoke(app, ["market", "list", "-w", "w1"])
    own = runner.invoke(
        app, ["market", "buy", "-w", "w1", "--buyer", "c1", "--listing", sold["listing_id"]]
    )
    not_owner = runner.invoke(
        app, ["market", "sell", "-w", "w1", "--seller", "u1", "--item", "a2", "--price", "7"]
    )
    cancelled = runner.invoke(
        app, ["market", "cancel", "-w", "w1", "--seller", "c1", "--listing", sold["listing_id"]]
    )

    assert table.exit_code == 0, table.output
    assert sold["listing_id"] in table.stdout
    assert "1 open listing(s)." in table.stdout
    assert own.exit_code == 1
    assert "is the seller and cannot bid or buy" in own.stderr
    assert "Traceback" not in own.output
    assert not_owner.exit_code == 1
    assert "does not own item 'a2'" in not_owner.stderr
    assert cancelled.exit_code == 0, cancelled.output
    assert run_json(runner, "list", "-w", "w1") == []


def test_a_deposit_is_made_once_per_reference(runner: CliRunner) -> None:
    again = run_json(
        runner, "deposit", "-w", "w1", "--user", "u1", "--amount", "5000", "--reference", "r1"
    )
    more = run_json(
        runner, "deposit", "-w", "w1", "--user", "u1", "--amount", "250", "--reference", "r2"
    )

    assert again["available_minor"] == 5_000
    assert more["available_minor"] == 5_250
