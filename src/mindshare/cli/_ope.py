"""``mindshare ope``: off-policy estimators checked on the Open Bandit Dataset."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from mindshare import engine
from mindshare.cli._app import JsonOption, _print_json, _user_errors, app, err, out
from mindshare.core import UnreadableFile


class Campaign(StrEnum):
    """The Open Bandit Dataset's campaigns."""

    ALL = "all"
    MEN = "men"
    WOMEN = "women"


@app.command()
def ope(
    obd: Annotated[
        Path,
        typer.Option("--obd", help="Open Bandit Dataset folder: random/, bts/ and prior_bts.yaml."),
    ],
    campaign: Annotated[Campaign, typer.Option(help="The campaign to evaluate on.")],
    runs: Annotated[int, typer.Option(min=1, help="Bootstrap resamples of the random logs.")] = 30,
    seed: Annotated[
        int, typer.Option(help="Seed of the BTS draws and the cross-fitting folds.")
    ] = 12345,
    first_resample: Annotated[
        int,
        typer.Option(
            min=0,
            help="Index of the first bootstrap resample; resample b is the one obp draws "
            "with random_state=b, so 0 measures on obp's own resamples.",
        ),
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """Estimate the BTS policy's click rate from the random policy's logs, by each estimator.

    Prints each estimator's mean estimate and its relative error against the BTS logs'
    own click rate (mean and standard deviation over the resamples), under obp's
    protocol: the same bootstrap resamples, the whole BTS log as ground truth.
    """
    with _user_errors():
        if not obd.is_dir():
            raise UnreadableFile(f"cannot read the Open Bandit Dataset at {obd}: no such folder")
        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
        columns += [MofNCompleteColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=err, transient=True, disable=as_json) as progress:
            task = progress.add_task(f"Resampling the {campaign.value} random logs", total=runs)
            report = engine.evaluate_off_policy(
                obd,
                campaign.value,
                runs=runs,
                seed=seed,
                first_resample=first_resample,
                on_run=lambda done: progress.update(task, completed=done),
            )
    if as_json:
        _print_json(report.as_dict())
        return
    table = Table(
        title=f"BTS click rate from the random logs of campaign {campaign.value!r} "
        f"({report.runs} bootstrap resamples of {report.n_rounds:,} rounds, "
        f"from resample {report.first_resample})"
    )
    for column in ("estimator", "estimate", "relative error", "std"):
        table.add_column(column, justify="left" if column == "estimator" else "right")
    best = report.best.estimator
    for row in report.estimators:
        table.add_row(
            row.estimator,
            f"{row.mean_estimate:.5f}",
            f"{row.mean_relative_error:.3f}",
            f"{row.std_relative_error:.3f}",
            style="bold green" if row.estimator == best else None,
        )
    out.print(table)
    penalties = ", ".join(f"{k} {v:g}" for k, v in report.reward_model.penalties().items())
    out.print(
        f"Ground truth (BTS logs' click rate) {report.ground_truth:.5f}; random logs' "
        f"{report.behavior_value:.5f}. Reward model: logistic, L2 penalties "
        f"{penalties or 'none (intercept only)'}.",
        highlight=False,
    )
