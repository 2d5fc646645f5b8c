"""simulate: the agents through engine.run_day, day by day; outputs, determinism, resume."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from mindshare import engine
from mindshare.core import InputError
from mindshare.ledger import Ledger
from mindshare.sim import DayMetrics, SimulationSpec, simulate
from mindshare.store import connect

SMALL = {"people": 60, "creators": 8, "days": 4, "seed": 3}


def test_a_simulation_writes_its_metrics_plots_and_a_complete_status(tmp_path: Path) -> None:
    result = simulate(SimulationSpec(policy="model", **SMALL), tmp_path)

    assert result.status == "complete"
    assert len(result.days) == 4
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "complete"
    assert len(json.loads((tmp_path / "metrics.json").read_text())) == 4
    assert pq.read_table(tmp_path / "metrics.parquet").num_rows == 4
    assert (tmp_path / "metrics.png").stat().st_size > 10_000
    assert all(day.feeds > 0 and day.events > 0 for day in result.days)
    assert sum(day.attentive_minutes for day in result.days) > 0
    store = connect(result.database_url)
    assert Ledger(store, "sim").audit().ok
    report = engine.simulation_report(store, "sim")
    assert [d.isoformat() for d in report.days] == [day.day for day in result.days]
    assert report.metrics["retention"] == [day.retention for day in result.days]
    assert report.policy == "model"
    store.dispose()


@pytest.mark.parametrize("policy", ["popularity", "model", "fair", "explore"])
def test_the_same_seed_gives_the_same_metrics_to_the_last_digit(
    tmp_path: Path, policy: str
) -> None:
    spec = SimulationSpec(policy=policy, **SMALL)
    first = [day.to_dict() for day in simulate(spec, tmp_path / "a").days]
    second = [day.to_dict() for day in simulate(spec, tmp_path / "b").days]
    assert first == second
    other = simulate(SimulationSpec(policy=policy, **{**SMALL, "seed": 4}), tmp_path / "c")
    assert [day.to_dict() for day in other.days] != first


def test_an_interrupted_run_is_marked_partial_and_resumes_to_the_same_end(
    tmp_path: Path,
) -> None:
    spec = SimulationSpec(policy="fair", **SMALL)
    straight = [day.to_dict() for day in simulate(spec, tmp_path / "straight").days]

    def stop_after_two(day: DayMetrics) -> None:
        if day.day.endswith("06"):  # the second day, 2026-01-06
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(spec, tmp_path / "cut", on_day=stop_after_two)
    status = json.loads((tmp_path / "cut" / "status.json").read_text())
    assert (status["status"], status["days_done"]) == ("partial", 2)
    assert len(json.loads((tmp_path / "cut" / "metrics.json").read_text())) == 2

    resumed = simulate(spec, tmp_path / "cut")
    assert [day.to_dict() for day in resumed.days] == straight


def test_a_folder_holding_another_run_is_refused_and_a_complete_run_is_answered(
    tmp_path: Path,
) -> None:
    first = simulate(SimulationSpec(policy="model", **SMALL), tmp_path)
    with pytest.raises(InputError, match="another simulation"):
        simulate(SimulationSpec(policy="fair", **SMALL), tmp_path)
    again = simulate(SimulationSpec(policy="model", **SMALL), tmp_path)
    assert [d.to_dict() for d in again.days] == [d.to_dict() for d in first.days]


def test_a_world_already_in_the_store_is_not_simulated_over(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    simulate(SimulationSpec(policy="model", **SMALL), tmp_path / "a", database_url=url)
    with pytest.raises(InputError, match="already exists in the store"):
        simulate(SimulationSpec(policy="model", **SMALL), tmp_path / "b", database_url=url)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"people": 0}, "people must be a whole number of at least 1"),
        ({"days": -1}, "days must be"),
        ({"creators": 0}, "creators must be"),
        ({"slots": 0}, "slots must be"),
        ({"policy": "chaos"}, "unknown policy 'chaos'"),
    ],
)
def test_nonsense_is_refused_before_anything_runs(
    tmp_path: Path, change: dict, message: str
) -> None:
    options = {"policy": "model", **SMALL, **change}
    with pytest.raises(InputError, match=message):
        SimulationSpec(**options)
    assert not (tmp_path / "status.json").exists()


def test_the_simulated_world_is_a_world_the_engine_serves(tmp_path: Path) -> None:
    result = simulate(SimulationSpec(policy="model", **SMALL), tmp_path)
    store = connect(result.database_url)
    with store.connect() as connection:
        people = connection.execute(sa.text("SELECT count(*) FROM people")).scalar_one()
    overview = engine.overview_report(store, "sim")
    store.dispose()
    assert people >= SMALL["people"]
    assert len(overview.days) == SMALL["days"]
