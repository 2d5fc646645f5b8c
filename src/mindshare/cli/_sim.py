"""``mindshare simulate | sweep | abtest``: run simulated worlds through the real engine."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mindshare.cli._app import JsonOption, _print_json, _user_errors, app, err, out
from mindshare.core import InputError, Settings

DaysOption = Annotated[int, typer.Option(help="Simulated days.")]
PeopleOption = Annotated[int, typer.Option(help="People at the start.")]
CreatorsOption = Annotated[int, typer.Option(help="Creators at the start.")]
SeedOption = Annotated[int, typer.Option(help="Seed of every random draw of the agents.")]
SlotsOption = Annotated[int, typer.Option("--slots", "-k", help="Slots per feed.")]
#: Columns of the summary tables: (DayMetrics field, heading, format).
SUMMARY = (
    ("attentive_minutes", "attention min", "{:,.0f}"),
    ("mean_utility", "utility", "{:.3f}"),
    ("retention", "retention", "{:.1%}"),
    ("creator_income_gini", "income Gini", "{:.3f}"),
    ("exposure_gini", "exposure Gini", "{:.3f}"),
    ("new_creator_survival", "new-creator survival", "{:.1%}"),
    ("homogenization", "homogenization", "{:.4f}"),
    ("ad_revenue_minor", "ad revenue", "{:,.0f}"),
)


@app.command()
def simulate(
    days: DaysOption = 30,
    people: PeopleOption = 1_000,
    creators: CreatorsOption = 100,
    policy: Annotated[str, typer.Option(help="popularity | model | fair | explore")] = "model",
    seed: SeedOption = 0,
    slots: SlotsOption = 10,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the world, metrics and plots.")
    ] = Path("simulation"),
    world: Annotated[
        str | None,
        typer.Option(
            "--world",
            "-w",
            help="Simulate this world into the store (MINDSHARE_DATABASE_URL) and its models "
            "into MINDSHARE_ARTIFACTS_DIR, where `mindshare serve` finds them, instead of a "
            "store of its own in --out.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate a world day by day through the real engine; an interrupted run resumes."""
    from mindshare.sim import SimulationSpec, simulate

    with _user_errors():
        spec = SimulationSpec(
            days=days,
            people=people,
            creators=creators,
            policy=policy,
            seed=seed,
            slots=slots,
            world_id=world or "sim",
        )
        settings = Settings()
        into_store: dict[str, Any] = (
            {
                "database_url": settings.database_url,
                "models_dir": Path(settings.artifacts_dir) / "models",
            }
            if world
            else {}
        )
        with _DayProgress(f"Simulating {policy}", days, quiet=as_json) as advance:
            result = simulate(spec, out_dir, on_day=lambda _metrics: advance(), **into_store)
    if as_json:
        _print_json(result.to_dict())
        return
    _print_summary({policy: [d.to_dict() for d in result.days]}, title="Last day")
    where = f"world {world!r} is in the store" if world else "the world's store is there too"
    out.print(f"Metrics and plots are in {out_dir}; {where} ({result.seconds:.0f} s).")


@app.command()
def sweep(
    policies: Annotated[
        str, typer.Option(help="Comma-separated policies.")
    ] = "popularity,model,fair,explore",
    seeds: Annotated[int, typer.Option(help="Seeds 0 … N-1 for each policy.")] = 3,
    days: DaysOption = 30,
    people: PeopleOption = 1_000,
    creators: CreatorsOption = 100,
    slots: SlotsOption = 10,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for every run.")] = Path("sweep"),
    address: Annotated[
        str | None,
        typer.Option(help="A Ray cluster's address (default: MINDSHARE_RAY_ADDRESS, else local)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run policies × seeds as parallel simulations on Ray and compare their last days."""
    from mindshare.sim import SimulationSpec, run_sweep

    with _user_errors():
        names = [name.strip() for name in policies.split(",") if name.strip()]
        if seeds < 1:
            raise InputError("--seeds must be at least 1")
        specs = [
            SimulationSpec(
                days=days, people=people, creators=creators, policy=name, seed=seed, slots=slots
            )
            for name in names
            for seed in range(seeds)
        ]
        with _DayProgress("Simulations", len(specs), quiet=as_json) as advance:
            summary = run_sweep(specs, out_dir, address=address, on_done=lambda _r: advance())
    if as_json:
        _print_json(summary.to_dict())
        return
    _print_summary(summary.last_days_by_policy(), title=f"Last day, mean of {seeds} seed(s)")
    out.print(f"Every run, sweep.json and sweep.png are in {out_dir}.")


@app.command()
def abtest(
    arms: Annotated[str, typer.Option(help="Two or more policies, comma-separated.")] = (
        "fair,popularity"
    ),
    days: DaysOption = 14,
    pre_days: Annotated[
        int, typer.Option(help="Days before the experiment (for CUPED), one policy for all.")
    ] = 7,
    people: PeopleOption = 1_000,
    creators: CreatorsOption = 100,
    seed: SeedOption = 0,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the world.")] = Path("abtest"),
    as_json: JsonOption = False,
) -> None:
    """Split people into arms by a stable hash, serve each arm its policy, and analyse."""
    from mindshare.sim import run_experiment

    with _user_errors():
        names = tuple(name.strip() for name in arms.split(",") if name.strip())
        with _DayProgress("Experiment", pre_days + days, quiet=as_json) as advance:
            report = run_experiment(
                names,
                days=days,
                pre_days=pre_days,
                people=people,
                creators=creators,
                seed=seed,
                out_dir=out_dir,
                on_day=lambda _m: advance(),
            )
    if as_json:
        _print_json(report.to_dict())
        return
    table = Table(title=f"{names[0]} against {names[1]}: {days} days, {people:,} people")
    for column in (
        "metric",
        "effect",
        "95% interval",
        "p",
        "CUPED effect",
        "CUPED p",
        "variance cut",
        "sequential p",
        "stopped at",
    ):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for row in report.rows():
        table.add_row(*row)
    out.print(table)


class _DayProgress:
    """A progress bar on stderr advanced once per finished unit (day or run)."""

    def __init__(self, label: str, total: int, *, quiet: bool) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=quiet,
        )
        self.task = self.progress.add_task(label, total=total)

    def __enter__(self) -> Any:
        self.progress.start()
        return lambda: self.progress.advance(self.task)

    def __exit__(self, *_exc: object) -> None:
        self.progress.stop()


def _print_summary(runs: dict[str, list[dict[str, Any]]], *, title: str) -> None:
    table = Table(title=title)
    table.add_column("policy")
    for _field, heading, _format in SUMMARY:
        table.add_column(heading, justify="right")
    for policy, days in runs.items():
        last = days[-1] if days else {}
        table.add_row(
            policy,
            *(
                "n/a" if last.get(name) is None else fmt.format(last[name])
                for name, _heading, fmt in SUMMARY
            ),
        )
    out.print(table)
