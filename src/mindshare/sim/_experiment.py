"""A/B experiments in a simulated world: people split into arms by a stable hash, each arm
served its policy in the same days, and every metric's effect analysed three ways.

The world first runs ``pre_days`` with one policy for everyone (the pre-period CUPED
uses), then ``days`` with the arms. Each person who was in the world before the
experiment is one unit; the last arm is the control and every other arm is compared to
it: the difference in means (Welch), the same with CUPED on the person's pre-period
value, and an always-valid sequential test (mSPRT) over person-days in time order,
looked at after every day, so the experiment could have been stopped early.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mindshare.attention import attention_by_person
from mindshare.core import InputError
from mindshare.evaluation import (
    Effect,
    SequentialResult,
    assign_arms,
    cuped,
    difference_in_means,
    sequential_test,
)
from mindshare.sim._agents import DayLog
from mindshare.sim._metrics import DayMetrics
from mindshare.sim._simulate import SimulationSpec, simulate
from mindshare.store import connect

#: The per-person outcomes analysed: verified attentive minutes a day, realised utility a
#: day, and whether the person is still in the world at the end (retention).
OUTCOMES = ("attentive_minutes", "utility", "retained")


@dataclass(frozen=True, slots=True)
class OutcomeEffect:
    """One outcome of one arm against the control."""

    outcome: str
    treatment: str
    control: str
    effect: Effect
    cuped: Effect | None
    sequential: SequentialResult

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the sequential test by its last look and stopping time)."""
        return {
            "outcome": self.outcome,
            "treatment": self.treatment,
            "control": self.control,
            "effect": self.effect.to_dict(),
            "cuped": None if self.cuped is None else self.cuped.to_dict(),
            "sequential": {
                "p_value": float(self.sequential.p_value[-1]),
                "ci_low": float(self.sequential.ci_low[-1]),
                "ci_high": float(self.sequential.ci_high[-1]),
                "stopped_at_pairs": self.sequential.stopped_at,
                "looks": len(self.sequential.n),
            },
        }


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    """An experiment's arms, units and every outcome's effects."""

    arms: tuple[str, ...]
    units: dict[str, int]
    days: int
    pre_days: int
    effects: tuple[OutcomeEffect, ...]
    out_dir: Path

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "arms": list(self.arms),
            "units": self.units,
            "days": self.days,
            "pre_days": self.pre_days,
            "effects": [effect.to_dict() for effect in self.effects],
            "out_dir": str(self.out_dir),
        }

    def rows(self) -> list[tuple[str, ...]]:
        """Printable rows: outcome, effect, interval, p, CUPED effect and p, variance cut,
        sequential p and when it would have stopped."""
        rows: list[tuple[str, ...]] = []
        for item in self.effects:
            e, c, s = item.effect, item.cuped, item.sequential
            rows.append(
                (
                    f"{item.outcome} ({item.treatment} vs {item.control})",
                    f"{e.effect:+.4g}",
                    f"[{e.ci_low:+.4g}, {e.ci_high:+.4g}]",
                    f"{e.p_value:.3g}",
                    "n/a" if c is None else f"{c.effect:+.4g}",
                    "n/a" if c is None else f"{c.p_value:.3g}",
                    "n/a"
                    if c is None or c.variance_reduction is None
                    else f"{c.variance_reduction:.0%}",
                    f"{float(s.p_value[-1]):.3g}",
                    "never" if s.stopped_at is None else f"{s.stopped_at} pairs",
                )
            )
        return rows


def run_experiment(
    arms: Sequence[str],
    *,
    days: int,
    pre_days: int,
    people: int,
    creators: int,
    seed: int,
    out_dir: Path,
    on_day: Callable[[DayMetrics], None] | None = None,
) -> ExperimentReport:
    """Simulate ``pre_days`` + ``days`` with the arms from day ``pre_days`` on, and analyse."""
    names = tuple(arms)
    if len(names) < 2 or len(set(names)) != len(names):
        raise InputError(f"an experiment needs two or more distinct arms, not {list(names)}")
    spec = SimulationSpec(
        days=pre_days + days,
        people=people,
        creators=creators,
        policy="model",
        seed=seed,
        arms=names,
        pre_days=pre_days,
        arm_salt=f"abtest-{seed}",
    )
    logs: list[DayLog] = []
    result = simulate(spec, out_dir, on_day=on_day, on_log=lambda _o, log: logs.append(log))
    store = connect(result.database_url)
    try:
        with store.connect() as connection:
            minutes = [
                {
                    row.user_id: row.attentive_ms / 60_000
                    for row in attention_by_person(connection, spec.world_id, day=log.day)
                }
                for log in logs
            ]
    finally:
        store.dispose()
    return analyse(spec, logs, minutes, out_dir=out_dir)


def analyse(
    spec: SimulationSpec,
    logs: Sequence[DayLog],
    minutes: Sequence[dict[str, float]],
    *,
    out_dir: Path,
) -> ExperimentReport:
    """Every outcome's effect per arm against the last arm, from the days' logs."""
    if len(logs) != spec.days or spec.pre_days >= spec.days:
        raise InputError("an experiment needs its pre-period and at least one day of arms")
    first = logs[spec.pre_days]
    before = np.asarray(first.joined_day) < max(spec.pre_days, 1)
    units = [person for person, old in zip(first.person_ids, before, strict=True) if old]
    arm_of = np.array(assign_arms(units, list(spec.arms), salt=spec.arm_salt))
    per_day = {
        "attentive_minutes": np.array([[day.get(unit, 0.0) for unit in units] for day in minutes]),
        "utility": np.array([_aligned(log, log.utility, units) for log in logs]),
        "retained": np.array([_aligned(log, log.active, units) for log in logs], dtype=float),
    }
    control = spec.arms[-1]
    effects = []
    for outcome in OUTCOMES:
        values = per_day[outcome]
        pre, during = values[: spec.pre_days], values[spec.pre_days :]
        y = during[-1] if outcome == "retained" else during.mean(axis=0)
        x = pre.mean(axis=0) if spec.pre_days and outcome != "retained" else None
        for treatment in spec.arms[:-1]:
            t, c = arm_of == treatment, arm_of == control
            effects.append(
                OutcomeEffect(
                    outcome=outcome,
                    treatment=treatment,
                    control=control,
                    effect=difference_in_means(y[t], y[c]),
                    cuped=None if x is None else cuped(y[t], x[t], y[c], x[c]),
                    sequential=_sequential(during, t, c),
                )
            )
    return ExperimentReport(
        arms=tuple(spec.arms),
        units={arm: int((arm_of == arm).sum()) for arm in spec.arms},
        days=spec.days - spec.pre_days,
        pre_days=spec.pre_days,
        effects=tuple(effects),
        out_dir=out_dir,
    )


def _sequential(
    during: npt.NDArray[np.float64],
    treatment: npt.NDArray[np.bool_],
    control: npt.NDArray[np.bool_],
) -> SequentialResult:
    """mSPRT over person-days in time order (each day's units in a fixed order), pairs
    formed in arrival order, looked at after each day."""
    t = during[:, treatment]
    c = during[:, control]
    per_day = min(t.shape[1], c.shape[1])
    pairs_t, pairs_c = t[:, :per_day].ravel(), c[:, :per_day].ravel()
    looks = [per_day * (day + 1) for day in range(during.shape[0])]
    return sequential_test(pairs_t, pairs_c, looks=looks)


def _aligned(log: DayLog, values: npt.ArrayLike, units: Sequence[str]) -> list[float]:
    """A day's per-person values in ``units`` order (0 for someone not yet in that day)."""
    index = {person: i for i, person in enumerate(log.person_ids)}
    array = np.asarray(values, dtype=float)
    return [float(array[index[u]]) if u in index else 0.0 for u in units]
