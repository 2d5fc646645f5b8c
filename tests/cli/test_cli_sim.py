"""`mindshare simulate | abtest | keys | serve`: flags, JSON output and refusals."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mindshare.cli import app


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MINDSHARE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    return runner


def test_simulate_json_prints_every_day_and_writes_the_folder(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--days",
            "3",
            "--people",
            "40",
            "--creators",
            "5",
            "--policy",
            "fair",
            "--seed",
            "2",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["status"] == "complete"
    assert [day["day"] for day in printed["days"]] == ["2026-01-05", "2026-01-06", "2026-01-07"]
    assert {"attentive_minutes", "homogenization", "new_creator_survival"} <= set(
        printed["days"][0]
    )
    assert (out / "metrics.parquet").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--people", "0"], "people must be a whole number of at least 1"),
        (["--policy", "chaos"], "unknown policy 'chaos'"),
        (["--days", "0"], "days must be"),
    ],
)
def test_simulate_refuses_nonsense_with_one_sentence(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "x"), *args])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_abtest_json_reports_effects_per_outcome(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "abtest",
            "--arms",
            "explore,model",
            "--days",
            "2",
            "--pre-days",
            "1",
            "--people",
            "60",
            "--creators",
            "5",
            "--out",
            str(tmp_path / "ab"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["arms"] == ["explore", "model"]
    assert {e["outcome"] for e in report["effects"]} == {"attentive_minutes", "utility", "retained"}
    assert all(0.0 <= e["effect"]["p_value"] <= 1.0 for e in report["effects"])


def test_keys_are_created_listed_and_revoked(runner: CliRunner) -> None:
    created = runner.invoke(
        app, ["keys", "create", "--world", "w", "--scopes", "read,ingest", "--json"]
    )
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["key"].startswith("msk_")
    assert key["scopes"] == ["ingest", "read"]
    listed = json.loads(runner.invoke(app, ["keys", "list", "--world", "w", "--json"]).stdout)
    assert [row["key_id"] for row in listed] == [key["key_id"]]
    assert "msk_" not in json.dumps(listed)  # never the secret again
    assert runner.invoke(app, ["keys", "revoke", key["key_id"]]).exit_code == 0
    again = runner.invoke(app, ["keys", "revoke", key["key_id"]])
    assert again.exit_code == 1
    assert "no active API key" in again.stderr


def test_a_key_with_an_unknown_scope_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(app, ["keys", "create", "--world", "w", "--scopes", "root"])
    assert result.exit_code == 1
    assert "unknown scope 'root'" in result.stderr
