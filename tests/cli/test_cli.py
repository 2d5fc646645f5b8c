"""The `mindshare` command: its public names, flags, JSON output and error behaviour."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mindshare.cli import app

COUNT_KEYS = {"submitted", "accepted", "duplicates", "conflicts", "rejected"}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MINDSHARE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    return runner


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


@pytest.fixture
def small_world(runner: CliRunner, tmp_path: Path) -> CliRunner:
    creators = write_jsonl(tmp_path / "creators.jsonl", [{"creator_id": "c1", "name": "Ada"}])
    items = tmp_path / "items.csv"
    items.write_text("item_id,kind,creator_id,title,tags\ni1,content,c1,Intro,a|b\n")
    for path, kind in ((creators, "creators"), (items, "items")):
        result = runner.invoke(app, ["ingest", str(path), "--world", "w1", "--kind", kind])
        assert result.exit_code == 0, result.output
    return runner


def test_ingest_json_prints_exactly_the_five_counts(small_world: CliRunner, tmp_path: Path) -> None:
    events = write_jsonl(
        tmp_path / "events.jsonl",
        [
            {
                "event_id": "e1",
                "type": "view",
                "user_id": "u1",
                "ts": "2026-01-05T10:00:00Z",
                "item_id": "i1",
                "dwell_ms": 4000,
                "visible_fraction": 1.0,
            },
            {
                "event_id": "e2",
                "type": "view",
                "user_id": "u1",
                "ts": "2026-01-05T10:00:00",
                "item_id": "i1",
                "dwell_ms": 4000,
                "visible_fraction": 1.0,
            },
        ],
    )
    result = small_world.invoke(app, ["ingest", str(events), "--world", "w1", "--json"])

    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert set(counts) == COUNT_KEYS
    assert counts == {"submitted": 2, "accepted": 1, "duplicates": 0, "conflicts": 0, "rejected": 1}


def test_replaying_a_file_reports_every_event_as_a_duplicate(
    small_world: CliRunner, tmp_path: Path
) -> None:
    events = write_jsonl(
        tmp_path / "events.jsonl",
        [
            {
                "event_id": f"e{i}",
                "type": "click",
                "user_id": "u1",
                "item_id": "i1",
                "ts": "2026-01-05T10:00:00Z",
            }
            for i in range(5)
        ],
    )
    small_world.invoke(app, ["ingest", str(events), "--world", "w1", "--json"])
    result = small_world.invoke(app, ["ingest", str(events), "--world", "w1", "--json"])

    assert json.loads(result.stdout)["duplicates"] == 5


def test_rejected_lists_each_record_with_its_location_and_reason(
    small_world: CliRunner, tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    hover = {"event_id": "e1", "type": "hover", "user_id": "u", "ts": "2026-01-05T10:00:00Z"}
    events.write_text(json.dumps(hover) + "\nnot json\n")
    small_world.invoke(app, ["ingest", str(events), "--world", "w1"])

    result = small_world.invoke(app, ["rejected", "--world", "w1", "--json"])

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["location"], r["rule"]) for r in rows] == [
        ("events.jsonl:1", "choice"),
        ("events.jsonl:2", "malformed"),
    ]
    assert "hover" in rows[0]["reason"]
    assert rows[1]["record"] == "not json"


def test_stats_json_counts_items_events_rejections_and_attention(
    small_world: CliRunner, tmp_path: Path
) -> None:
    events = write_jsonl(
        tmp_path / "events.jsonl",
        [
            {
                "event_id": "e1",
                "type": "view",
                "user_id": "u1",
                "ts": "2026-01-05T10:00:00Z",
                "item_id": "i1",
                "dwell_ms": 90_000,
                "visible_fraction": 0.9,
            },
            {
                "event_id": "e2",
                "type": "view",
                "user_id": "u1",
                "ts": "2026-01-05T10:00:00Z",
                "item_id": "i-nope",
                "dwell_ms": 1_000,
                "visible_fraction": 0.9,
            },
        ],
    )
    small_world.invoke(app, ["ingest", str(events), "--world", "w1"])

    result = small_world.invoke(app, ["stats", "--world", "w1", "--json"])

    stats = json.loads(result.stdout)
    assert stats["items_by_kind"] == {"content": 1}
    assert stats["events_by_type"] == {"view": 1}
    assert stats["rejections_by_rule"] == {"unknown_item": 1}
    assert stats["attention_by_day"] == [
        {"day": "2026-01-05", "attentive_ms": 90_000, "people": 1, "items": 1}
    ]


def test_import_recbole_loads_a_folder_of_atomic_files(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "tiny.inter").write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        "1\t10\t4\t881250949\n2\t10\t5\t881250950\n1\t11\t3\t881250951\n"
    )
    (folder / "tiny.item").write_text(
        "item_id:token\tmovie_title:token_seq\tclass:token_seq\n10\tToy Story\tAnimation Comedy\n"
        "11\tHeat\tAction\n"
    )

    result = runner.invoke(app, ["import-recbole", str(folder), "--world", "tiny", "--json"])

    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert reports["events"]["accepted"] == 3
    assert reports["items"]["accepted"] == 2
    assert reports["creators"]["accepted"] == 1


def test_a_missing_file_is_one_sentence_on_stderr_and_exit_code_1(runner: CliRunner) -> None:
    result = runner.invoke(app, ["ingest", "/nowhere/events.jsonl", "--world", "w1"])

    assert result.exit_code == 1
    assert "cannot read /nowhere/events.jsonl: no such file" in result.stderr
    assert "Traceback" not in result.output


def test_an_uninitialised_store_asks_for_mindshare_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINDSHARE_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")

    result = CliRunner().invoke(app, ["stats", "--world", "w1"])

    assert result.exit_code == 1
    assert "mindshare init" in result.stderr


def test_stats_of_an_unknown_world_says_so(runner: CliRunner) -> None:
    result = runner.invoke(app, ["stats", "--world", "nope"])

    assert result.exit_code == 1
    assert "world 'nope' does not exist" in result.stderr


def test_demo_builds_a_world_with_attention_and_deliberate_rejections(runner: CliRunner) -> None:
    args = ["demo", "--people", "30", "--creators", "4", "--items", "40", "--days", "2", "--json"]
    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    events = payload["ingested"]["events"]
    assert events["accepted"] > 0
    assert events["rejected"] > 0
    assert events["conflicts"] > 0
    assert events["duplicates"] > 0
    assert sum(day["attentive_ms"] for day in payload["stats"]["attention_by_day"]) > 0
    replay = json.loads(runner.invoke(app, args).stdout)["ingested"]["events"]
    assert replay["accepted"] == 0


def test_the_console_script_is_installed_and_answers_help() -> None:
    result = subprocess.run(
        [Path(sys.executable).with_name("mindshare"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0
    for command in ("init", "ingest", "import-recbole", "stats", "rejected", "demo"):
        assert command in result.stdout
