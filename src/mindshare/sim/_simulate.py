"""Simulate a world for some days: the agents, driven through ``engine.run_day`` day by day.

The simulator owns only its agents (``SimulatedWorld``); each day is the real engine's
``run_day``. The store is a SQLite file in the output folder (or any store by URL), so
a finished simulation is a world the service and the dashboard can open.
"""

import pickle
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from mindshare import engine
from mindshare.attention import attention_by_day
from mindshare.core import InputError, to_epoch_ms, utc_now
from mindshare.engine import Arm, DayOptions, DayOutcome
from mindshare.events import create_world
from mindshare.models import ModelRegistry
from mindshare.sim._agents import DayLog, SimulatedWorld
from mindshare.sim._agents_config import WorldConfig
from mindshare.sim._metrics import (
    DayMetrics,
    income_gini,
    mean_pairwise_jaccard,
    survival_rate,
)
from mindshare.sim._outputs import (
    plot_metrics,
    read_metrics,
    read_status,
    write_metrics,
    write_status,
)
from mindshare.store import connect, migrate, simulation_days

#: Each experiment policy as (feed policy, attention model): ``popularity`` ranks by
#: verified attention with no model; the others serve the model through a policy.
POLICIES: dict[str, tuple[str, str | None]] = {
    "popularity": ("greedy", None),
    "model": ("greedy", "als"),
    "fair": ("fair", "als"),
    "explore": ("explore", "als"),
}
#: A new creator survives when still active this many days after entering.
SURVIVAL_WINDOW_DAYS = 14
#: The economy of a simulated world: a daily emission shared by attention, paid from 1 unit.
SIMULATED_ECONOMY: dict[str, Any] = {
    "currency": "USD",
    "emission_minor": 500_000,
    "creator_pool_ad_share": 0.5,
    "reward_ad_share": 0.1,
    "minimum_payout_minor": 1,
}


@dataclass(frozen=True, slots=True)
class SimulationSpec:
    """One simulation: its size, its policy, its seed; nonsense is refused before it runs."""

    days: int
    people: int
    creators: int
    policy: str
    seed: int = 0
    slots: int = 10
    retrain_every_days: int = 7
    start: date = date(2026, 1, 5)
    world_id: str = "sim"
    arms: tuple[str, ...] = ()
    arm_salt: str = "abtest"
    pre_days: int = 0
    world: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("days", "people", "creators", "slots", "retrain_every_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be a whole number of at least 1, not {value!r}")
        if self.arms and not 0 <= self.pre_days < self.days:
            raise InputError(f"pre_days must lie in [0, days), not {self.pre_days}")
        for policy in (self.policy, *self.arms):
            if policy not in POLICIES:
                raise InputError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
        self.agents_config()  # the agents refuse their own nonsense now, not on day 1

    def agents_config(self) -> WorldConfig:
        """The agents' configuration: this spec's size, seed and start, plus ``world``."""
        return WorldConfig(
            people=self.people,
            creators=self.creators,
            start=self.start,
            seed=self.seed,
            slots=self.slots,
            **self.world,
        )

    def day_options(self, day_index: int = 0) -> DayOptions:
        """How ``run_day`` serves day ``day_index`` (from 0): with ``arms``, the days from
        ``pre_days`` on are the experiment, the days before it serve everyone ``policy``."""
        policy, model = POLICIES[self.policy]
        experiment = bool(self.arms) and day_index >= self.pre_days
        arms = (
            tuple(Arm(arm, POLICIES[arm][0], POLICIES[arm][1] is not None) for arm in self.arms)
            if experiment
            else ()
        )
        models = sorted(name for name in {model, *(POLICIES[arm][1] for arm in self.arms)} if name)
        return DayOptions(
            policy=policy,
            model=models[0] if models else None,
            retrain_every_days=self.retrain_every_days,
            slots=self.slots,
            seed=self.seed,
            arms=arms,
            arm_salt=self.arm_salt,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``status.json`` keeps it to recognise a resumable run)."""
        values = asdict(self)
        values["start"] = self.start.isoformat()
        values["arms"] = list(self.arms)
        return values


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """A finished (or interrupted) simulation: its spec, its days and where it is stored."""

    spec: SimulationSpec
    out_dir: Path
    days: tuple[DayMetrics, ...]
    status: str
    seconds: float
    database_url: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary with every day's metrics."""
        return {
            "spec": self.spec.to_dict(),
            "out_dir": str(self.out_dir),
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "days": [day.to_dict() for day in self.days],
        }


def simulate(
    spec: SimulationSpec,
    out_dir: Path,
    *,
    database_url: str | None = None,
    models_dir: Path | None = None,
    on_day: Callable[[DayMetrics], None] | None = None,
    on_log: Callable[[DayOutcome, DayLog], None] | None = None,
) -> SimulationResult:
    """Run ``spec`` into ``out_dir``, resuming it when ``out_dir`` holds the same run cut short.

    The world goes into a store of its own in ``out_dir`` (or ``database_url``), its
    models into ``out_dir/models`` (or ``models_dir``). Writes ``metrics.json``,
    ``metrics.parquet``, ``metrics.png`` and ``status.json`` (``running`` → ``complete``,
    or ``partial`` when interrupted, with the days done). Asked again for a complete run,
    it answers with that run. ``on_day`` sees each day's metrics; ``on_log`` each day's
    outcome and the agents' log of it.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{out_dir / 'world.db'}"
    status = read_status(out_dir)
    if status is not None and status.get("status") == "complete":
        if status.get("spec") != spec.to_dict():
            raise InputError(f"{out_dir} holds another simulation; choose an empty --out folder")
        days = tuple(read_metrics(out_dir))
        return SimulationResult(spec, out_dir, days, "complete", status["seconds"], url)
    store = connect(url)
    registry = ModelRegistry(models_dir or out_dir / "models")
    started = time.perf_counter()
    agents, done = _start_or_resume(spec, out_dir, store, status)
    try:
        for n in range(len(done), spec.days):
            day = spec.start + timedelta(days=n)
            outcome = engine.run_day(
                store, spec.world_id, day, agents, options=spec.day_options(n), registry=registry
            )
            metrics = day_metrics(store, spec, agents, outcome)
            if on_log is not None:
                on_log(outcome, agents.day_log(day))
            record_day_metrics(
                store,
                spec.world_id,
                day,
                metrics,
                policy="+".join(spec.arms) or spec.policy,
                seed=spec.seed,
            )
            done.append(metrics)
            _checkpoint(out_dir, spec, agents, done)
            if on_day is not None:
                on_day(metrics)
    except BaseException:
        write_status(out_dir, "partial", spec=spec.to_dict(), days_done=len(done))
        raise
    finally:
        store.dispose()
    write_metrics(out_dir, done)
    plot_metrics(out_dir, {spec.policy: done})
    seconds = time.perf_counter() - started
    write_status(out_dir, "complete", spec=spec.to_dict(), days_done=len(done), seconds=seconds)
    return SimulationResult(spec, out_dir, tuple(done), "complete", seconds, url)


def day_metrics(
    store: sa.Engine, spec: SimulationSpec, agents: SimulatedWorld, outcome: DayOutcome
) -> DayMetrics:
    """The metrics of a day just run: verified attention from the store, money from the
    settlement, everything about people and creators from the agents' log of the day."""
    log = agents.day_log(outcome.day)
    with store.connect() as connection:
        attention = {
            row.day: row.attentive_ms for row in attention_by_day(connection, spec.world_id)
        }
    totals = outcome.settlement.statement.get("totals", {})
    active = np.asarray(log.creator_active, dtype=bool)
    joined = int(log.active.sum() + log.churned.sum())
    day_index = (outcome.day - spec.start).days
    # Creators who entered after the first day, two to four weeks ago (founders are not new).
    cohort = range(
        max(1, day_index - 2 * SURVIVAL_WINDOW_DAYS), day_index - SURVIVAL_WINDOW_DAYS + 1
    )
    visited = np.asarray(log.visited, dtype=bool)
    return DayMetrics(
        day=outcome.day.isoformat(),
        attentive_minutes=attention.get(outcome.day, 0) / 60_000,
        mean_utility=float(log.utility[visited].mean()) if visited.any() else 0.0,
        active_people=int(log.active.sum()),
        retention=float(log.active.sum() / joined) if joined else 0.0,
        creator_income_gini=income_gini(log.creator_income_minor[active]),
        exposure_gini=income_gini(log.creator_exposure[active]),
        active_creators=int(active.sum()),
        new_creator_survival=survival_rate(log.creator_entry_day, active, cohort=cohort),
        homogenization=mean_pairwise_jaccard(
            [frozenset(items) for items in log.consumed.values()], seed=spec.seed + day_index
        ),
        ad_revenue_minor=int(totals.get("charged_minor", 0)),
        paid_to_creators_minor=int(totals.get("paid_to_creators_minor", 0)),
        feeds=len(outcome.feeds),
        events=outcome.events.accepted,
        trades=len(outcome.trades),
    )


def _start_or_resume(
    spec: SimulationSpec, out_dir: Path, store: sa.Engine, status: dict[str, Any] | None
) -> tuple[SimulatedWorld, list[DayMetrics]]:
    """Fresh agents and world, or the checkpointed ones of the same spec cut short."""
    if status is not None:
        if status.get("spec") != spec.to_dict():
            raise InputError(
                f"{out_dir} holds another simulation ({status.get('status')}); "
                "choose an empty --out folder"
            )
        checkpoint = out_dir / "checkpoint.pickle"
        if checkpoint.exists():
            with checkpoint.open("rb") as file:
                agents, done = pickle.load(file)  # our own checkpoint, in our own folder
            return agents, list(done)
    migrate(store)
    with store.begin() as connection:
        created = create_world(
            connection,
            spec.world_id,
            name=f"Simulated world ({spec.policy}, seed {spec.seed})",
            config={"economy": SIMULATED_ECONOMY},
            now_ms=to_epoch_ms(utc_now()),
        )
    if not created:
        raise InputError(
            f"world {spec.world_id!r} already exists in the store; simulate another world"
        )
    write_status(out_dir, "running", spec=spec.to_dict(), days_done=0)
    return SimulatedWorld(spec.agents_config()), []


def _checkpoint(
    out_dir: Path, spec: SimulationSpec, agents: SimulatedWorld, done: list[DayMetrics]
) -> None:
    """After each day: the agents and the metrics so far, so a cut-short run can resume."""
    temporary = out_dir / "checkpoint.pickle.tmp"
    with temporary.open("wb") as file:
        pickle.dump((agents, tuple(done)), file, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(out_dir / "checkpoint.pickle")
    write_metrics(out_dir, done)
    write_status(out_dir, "running", spec=spec.to_dict(), days_done=len(done))


def record_day_metrics(
    store: sa.Engine, world_id: str, day: date, metrics: DayMetrics, *, policy: str, seed: int
) -> None:
    """A simulated day's metrics in the store, for the dashboard (replacing a redone day)."""
    number = (day - date(1970, 1, 1)).days
    with store.begin() as connection:
        connection.execute(
            simulation_days.delete().where(
                simulation_days.c.world_id == world_id, simulation_days.c.day == number
            )
        )
        connection.execute(
            simulation_days.insert().values(
                world_id=world_id,
                day=number,
                policy=policy,
                seed=seed,
                metrics=metrics.to_dict(),
                recorded_ms=to_epoch_ms(utc_now()),
            )
        )
