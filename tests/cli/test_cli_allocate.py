"""`mindshare allocate`: feeds for everyone, recorded, printed as a table or JSON."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from mindshare.cli import app
from mindshare.store import connect, exposures


@pytest.fixture
def demo_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MINDSHARE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("MINDSHARE_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    demo = ["demo", "--people", "12", "--creators", "4", "--items", "30", "--days", "2", "--json"]
    assert runner.invoke(app, demo).exit_code == 0
    return runner


def test_allocate_serves_and_records_a_feed_for_everyone(
    demo_runner: CliRunner, tmp_path: Path
) -> None:
    trained = demo_runner.invoke(
        app, ["train", "--model", "pop", "--world", "demo", "--activate", "--json"]
    )
    assert trained.exit_code == 0, trained.output

    result = demo_runner.invoke(
        app, ["allocate", "--world", "demo", "--policy", "fair", "-k", "5", "--json"]
    )

    assert result.exit_code == 0, result.output
    served = json.loads(result.stdout)
    assert served["policy"] == "fair"
    assert len(served["feeds"]) == 12
    for feed in served["feeds"]:
        assert feed["model"] == "pop@1"
        items = [slot["item"] for slot in feed["slots"]]
        assert len(items) == len(set(items)) <= 5
        assert all("fairness" in slot["parts"] for slot in feed["slots"])
    database = connect(f"sqlite:///{tmp_path / 'cli.db'}")
    with database.connect() as connection:
        rows = connection.execute(sa.select(sa.func.count()).select_from(exposures)).scalar_one()
    database.dispose()
    assert rows == sum(len(feed["slots"]) for feed in served["feeds"])


def test_allocate_prints_a_table_of_slots(demo_runner: CliRunner) -> None:
    result = demo_runner.invoke(
        app, ["allocate", "--world", "demo", "--policy", "mmr"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Feeds served in 'demo' by mmr" in result.stdout
    assert "diversity" in result.stdout
    assert "12 feeds" in result.stdout


def test_allocate_refuses_an_unknown_policy_or_world(demo_runner: CliRunner) -> None:
    bad_policy = demo_runner.invoke(app, ["allocate", "--world", "demo", "--policy", "best"])
    assert bad_policy.exit_code == 1
    assert "unknown policy 'best'" in bad_policy.stderr
    bad_world = demo_runner.invoke(app, ["allocate", "--world", "nowhere"])
    assert bad_world.exit_code == 1
    assert "nobody to serve" in bad_world.stderr
