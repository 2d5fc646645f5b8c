"""`mindshare ope`: the real-data check of the off-policy estimators from the command line."""

import json
from pathlib import Path

from typer.testing import CliRunner

from mindshare.cli import app

WIDE = {"COLUMNS": "400"}  # one line per message, however long the temporary path


def test_ope_prints_one_json_report(open_bandit: Path) -> None:
    result = CliRunner().invoke(
        app, ["ope", "--obd", str(open_bandit), "--campaign", "women", "--runs", "2", "--json"]
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["campaign"] == "women"
    assert report["runs"] == 2
    assert [e["estimator"] for e in report["estimators"]] == [
        "ips",
        "snips",
        "dm",
        "dr",
        "sndr",
        "switch-dr",
    ]
    for estimator in report["estimators"]:
        assert {"mean_estimate", "mean_relative_error", "std_relative_error"} <= set(estimator)
        assert len(estimator["relative_errors"]) == 2


def test_ope_table_names_every_estimator(open_bandit: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["ope", "--obd", str(open_bandit), "--campaign", "all", "--runs", "1"],
        env=WIDE,
    )

    assert result.exit_code == 0, result.output
    for name in ("ips", "snips", "dm", "dr", "sndr", "switch-dr", "Ground truth"):
        assert name in result.stdout


def test_ope_with_a_missing_folder_says_so_in_one_sentence(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["ope", "--obd", str(tmp_path / "nowhere"), "--campaign", "men"], env=WIDE
    )

    assert result.exit_code == 1
    assert "cannot read the Open Bandit Dataset" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_ope_with_a_folder_missing_its_files_names_the_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["ope", "--obd", str(tmp_path), "--campaign", "men"], env=WIDE)

    assert result.exit_code == 1
    assert "random/men/item_context.csv: No such file or directory" in result.stderr


def test_ope_rejects_an_unknown_campaign(open_bandit: Path) -> None:
    result = CliRunner().invoke(app, ["ope", "--obd", str(open_bandit), "--campaign", "kids"])

    assert result.exit_code == 2


def test_ope_measures_from_the_first_resample_it_is_given(open_bandit: Path) -> None:
    arguments = ["ope", "--obd", str(open_bandit), "--campaign", "men", "--runs", "1", "--json"]

    result = CliRunner().invoke(app, [*arguments, "--first-resample", "7"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["first_resample"] == 7
    refused = CliRunner().invoke(app, [*arguments, "--first-resample", "-1"])
    assert refused.exit_code == 2
