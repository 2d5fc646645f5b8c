"""`mindshare ledger accounts|transfer|audit` and `mindshare payouts run`."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from mindshare.cli import app
from mindshare.store import connect, worlds

ECONOMY = {"economy": {"emission_minor": 10_000, "minimum_payout_minor": 1}}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MINDSHARE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    demo = ["demo", "--people", "12", "--creators", "4", "--items", "30", "--days", "2", "--json"]
    assert runner.invoke(app, demo).exit_code == 0
    database = connect(f"sqlite:///{tmp_path / 'cli.db'}")
    with database.begin() as connection:
        connection.execute(
            worlds.update().where(worlds.c.world_id == "demo").values(config=ECONOMY)
        )
    database.dispose()
    return runner


def _demo_period(runner: CliRunner) -> str:
    stats = json.loads(runner.invoke(app, ["stats", "--world", "demo", "--json"]).stdout)
    days = sorted(row["day"] for row in stats["attention_by_day"])
    return f"{days[0]}..{days[-1]}"


def test_payouts_run_pays_creators_once_and_the_audit_agrees(runner: CliRunner) -> None:
    period = _demo_period(runner)

    first = runner.invoke(app, ["payouts", "run", "--world", "demo", "--period", period, "--json"])
    again = runner.invoke(app, ["payouts", "run", "--world", "demo", "--period", period, "--json"])
    audit = runner.invoke(app, ["ledger", "audit", "--json"])

    assert first.exit_code == 0, first.output
    settled = json.loads(first.stdout)
    assert settled["statement"]["totals"]["paid_to_creators_minor"] == 10_000
    assert json.loads(again.stdout)["transfers_created"] == 0
    report = json.loads(audit.stdout)
    assert audit.exit_code == 0
    assert report["ok"] is True
    [usd] = report["worlds"][0]["currencies"]
    assert usd["debits_posted"] == usd["credits_posted"] == 20_000  # emission in, payouts out


def test_payouts_run_prints_a_statement(runner: CliRunner) -> None:
    period = _demo_period(runner)
    result = runner.invoke(
        app, ["payouts", "run", "--world", "demo", "--period", period], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "paid to creators" in result.stdout
    assert "Creator payouts" in result.stdout


def test_an_overlapping_period_is_refused_with_the_rule(runner: CliRunner) -> None:
    period = _demo_period(runner)
    assert runner.invoke(app, ["payouts", "run", "-w", "demo", "--period", period]).exit_code == 0
    first_day = period.split("..")[0]
    result = runner.invoke(app, ["payouts", "run", "-w", "demo", "--period", first_day])
    assert result.exit_code == 1
    assert "overlaps" in result.stderr


def test_ledger_transfer_then_accounts_and_a_refused_overdraft(runner: CliRunner) -> None:
    period = _demo_period(runner)
    runner.invoke(app, ["payouts", "run", "-w", "demo", "--period", period])
    listed = json.loads(runner.invoke(app, ["ledger", "accounts", "-w", "demo", "--json"]).stdout)
    creators = [a for a in listed["accounts"] if a["kind"] == "creator" and a["balance"] > 0]
    rich, other = creators[0], creators[1]

    def transfer(transfer_id: str, amount: int) -> list[str]:
        return [
            "ledger", "transfer", "-w", "demo", "--id", transfer_id,
            "--debit", rich["account_id"], "--credit", other["account_id"],
            "--amount", str(amount), "--currency", "USD", "--json",
        ]  # fmt: skip

    made = runner.invoke(app, transfer("gift-1", 1))
    repeated = runner.invoke(app, transfer("gift-1", 1))
    overdraft = runner.invoke(app, transfer("gift-2", rich["balance"]))

    assert json.loads(made.stdout)["status"] == "created"
    assert json.loads(repeated.stdout)["status"] == "exists"
    assert overdraft.exit_code == 1
    assert "debits must not exceed its credits" in overdraft.stderr
    after = json.loads(runner.invoke(app, ["ledger", "accounts", "-w", "demo", "--json"]).stdout)
    balances = {a["account_id"]: a["balance"] for a in after["accounts"]}
    assert balances[rich["account_id"]] == rich["balance"] - 1
    assert balances[other["account_id"]] == other["balance"] + 1


def test_the_audit_fails_with_exit_1_when_a_balance_was_tampered_with(
    runner: CliRunner, tmp_path: Path
) -> None:
    runner.invoke(app, ["payouts", "run", "-w", "demo", "--period", _demo_period(runner)])
    database = connect(f"sqlite:///{tmp_path / 'cli.db'}")
    with database.begin() as connection:
        connection.execute(
            sa.text("UPDATE ledger_balances SET credits_posted = credits_posted + 5")
        )
    database.dispose()

    result = runner.invoke(app, ["ledger", "audit", "--json"])

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert any("stores balances" in p for p in report["worlds"][0]["problems"])
