"""`mindshare evaluate | train | models`: the model commands' names, JSON and errors."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mindshare.cli import app


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MINDSHARE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("MINDSHARE_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    return runner


def test_evaluate_prints_one_json_row_per_model(runner: CliRunner, movielens_100k: Path) -> None:
    result = runner.invoke(
        app, ["evaluate", "--models", "pop,ease", "--dataset", str(movielens_100k), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["model"] for row in rows] == ["pop", "ease"]
    for row in rows:
        assert {"ndcg@10", "recall@10", "mrr@10", "coverage@10", "train_s"} <= set(row)
    assert rows[0]["ndcg@10"] == pytest.approx(0.0432, abs=0.0005)
    assert rows[1]["ndcg@10"] > rows[0]["ndcg@10"]


def test_evaluate_table_and_parameters(runner: CliRunner, movielens_100k: Path) -> None:
    result = runner.invoke(
        app,
        ["evaluate", "--models", "ease", "-p", "ease.l2=2000", "--dataset", str(movielens_100k)],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "ndcg@10" in result.stdout
    assert "ease" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["evaluate", "--models", "pop,nope", "--dataset", "."], "unknown model 'nope'"),
        (["evaluate", "--models", "pop"], "exactly one source"),
        (["evaluate", "--models", "pop", "--dataset", "x", "--world", "w"], "exactly one"),
        (["evaluate", "--models", "pop", "-p", "l2=3", "--dataset", "."], "must name its model"),
        (["evaluate", "--models", "ease", "-p", "ease.l2=0", "--dataset", "DATA"], "l2 > 0"),
        (["evaluate", "--models", "pop", "--dataset", "/no/such/folder"], "cannot read"),
        (["evaluate", "--models", "pop", "--world", "nowhere"], "does not exist"),
        (["train", "--model", "pop", "-p", "speed=9", "--dataset", "DATA"], "bad parameters"),
        (["models", "list", "nope"], "unknown model"),
        (["models", "activate", "pop", "3", "--world", "w"], "no version 3"),
        (["datasets", "fetch", "imagenet", "--dest", "x"], "unknown dataset"),
    ],
)
def test_user_errors_are_one_sentence_and_exit_1(
    runner: CliRunner, movielens_100k: Path, arguments: list[str], message: str
) -> None:
    arguments = [str(movielens_100k) if a == "DATA" else a for a in arguments]
    result = runner.invoke(app, arguments, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_train_registers_versions_and_activates_them_per_world(
    runner: CliRunner, movielens_100k: Path, tmp_path: Path
) -> None:
    for _ in range(2):
        result = runner.invoke(
            app, ["train", "--model", "ease", "--dataset", str(movielens_100k), "--json"]
        )
        assert result.exit_code == 0, result.output
    version = json.loads(result.stdout)
    assert version["model"] == "ease"
    assert version["version"] == 2
    assert version["metrics"]["valid_ndcg@10"] > 0.05
    assert Path(version["path"], "metadata.json").exists()
    listed = json.loads(runner.invoke(app, ["models", "list", "--json"]).stdout)
    assert [(v["model"], v["version"]) for v in listed] == [("ease", 1), ("ease", 2)]
    result = runner.invoke(app, ["models", "activate", "ease", "1", "--world", "w1"])
    assert result.exit_code == 0, result.output
    active = json.loads((tmp_path / "artifacts" / "models" / "active.json").read_text())
    assert active == {"w1": {"model": "ease", "version": 1}}


def test_a_world_in_the_store_trains_and_serves(runner: CliRunner) -> None:
    demo = runner.invoke(app, ["demo", "--people", "60", "--items", "80", "--days", "3", "--json"])
    assert demo.exit_code == 0, demo.output
    result = runner.invoke(
        app, ["train", "--model", "ease-recency", "--world", "demo", "--activate", "--json"]
    )
    assert result.exit_code == 0, result.output
    version = json.loads(result.stdout)
    assert version["dataset"] == "demo"
    assert version["params"]["tune"] is False  # tuned on validation, then refitted on all
    evaluated = runner.invoke(app, ["evaluate", "--models", "pop,content", "--world", "demo"])
    assert evaluated.exit_code == 0, evaluated.output
