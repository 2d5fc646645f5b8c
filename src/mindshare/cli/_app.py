"""The ``mindshare`` command: thin, it parses, calls ``engine`` or one package, and prints.

User errors go to stderr as one actionable sentence with exit code 1; no tracebacks.
"""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
import typer
from rich.console import Console
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
from mindshare.core import MindshareError, Settings, to_epoch_ms, utc_now
from mindshare.events import (
    FileFormat,
    IngestReport,
    RecordKind,
    create_world,
    list_rejected,
    read_records,
)
from mindshare.store import connect, head_revision, migrate, require_current

app = typer.Typer(
    name="mindshare",
    help="Mindshare: measure, predict, allocate and settle attention in virtual worlds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")

WorldOption = Annotated[str, typer.Option("--world", "-w", help="The world (tenant) id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")]


def main() -> None:
    """Entry point of the ``mindshare`` console script."""
    app()


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn Mindshare's errors into one sentence on stderr and exit code 1."""
    try:
        yield
    except MindshareError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    except sa.exc.OperationalError as error:
        err.print(f"[bold red]error:[/] the store cannot be used: {error.orig}", highlight=False)
        raise typer.Exit(1) from None


def _store() -> sa.Engine:
    """The store named by MINDSHARE_DATABASE_URL, refusing one that needs ``mindshare init``."""
    database = connect(Settings().database_url)
    require_current(database)
    return database


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")


@app.command()
def init() -> None:
    """Create the store, or migrate it to this version's schema."""
    with _user_errors():
        url = Settings().database_url
        database = connect(url)
        migrate(database)
        out.print(f"Store ready at {database.url.render_as_string()} (schema {head_revision()}).")


@app.command(name="ingest")
def ingest_command(
    file: Annotated[Path, typer.Argument(help="The file to read.")],
    world: WorldOption,
    kind: Annotated[RecordKind, typer.Option(help="What the file holds.")] = RecordKind.EVENTS,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="File format; by default taken from the file's suffix."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest a JSONL, CSV or Parquet file of events, items, people or creators."""
    with _user_errors():
        database = _store()
        records = read_records(file, kind=kind, file_format=file_format)
        _ensure_world(database, world)
        report = _with_progress(
            f"Ingesting {kind} from {file.name}",
            None,
            lambda progress: engine.ingest(
                database, world, kind, records, source=file.name, progress=progress
            ),
            quiet=as_json,
        )
    if as_json:
        _print_json(report.counts())
    else:
        _print_reports(world, {kind: report})


@app.command(name="import-recbole")
def import_recbole_command(
    directory: Annotated[Path, typer.Argument(help="Folder with NAME.inter (.item, .user).")],
    world: WorldOption,
    as_json: JsonOption = False,
) -> None:
    """Load RecBole atomic files (such as MovieLens-100k) as a world; ratings become rate events."""
    with _user_errors():
        database = _store()
        _ensure_world(database, world)
        reports = _with_progress(
            f"Importing {directory.name}",
            None,
            lambda progress: engine.import_recbole(database, world, directory, progress=progress),
            quiet=as_json,
        )
    if as_json:
        _print_json({kind.value: report.counts() for kind, report in reports.items()})
    else:
        _print_reports(world, reports)


@app.command()
def stats(world: WorldOption, as_json: JsonOption = False) -> None:
    """Counts, rejections by reason and attentive time per day for a world."""
    with _user_errors():
        result = engine.world_stats(_store(), world)
    if as_json:
        _print_json(result.as_dict())
        return
    _print_stats(result)


@app.command()
def rejected(
    world: WorldOption,
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule, e.g. naive_timestamp.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Each rejected record of a world, with where it came from and why it was rejected."""
    with _user_errors():
        database = _store()
        with database.connect() as connection:
            rows = list_rejected(connection, world, limit=limit, rule=rule)
    if as_json:
        _print_json(
            [
                {
                    "kind": r.kind,
                    "location": r.location,
                    "rule": r.rule,
                    "field": r.field,
                    "value": r.value,
                    "reason": r.reason,
                    "record": r.record,
                }
                for r in rows
            ]
        )
        return
    table = Table(title=f"Rejected records of world {world!r}")
    for column in ("where", "kind", "rule", "field", "reason"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(r.location, r.kind, r.rule, r.field or "", r.reason)
    out.print(table)
    out.print(f"{len(rows)} rejected record(s).")


@app.command()
def demo(
    world: Annotated[str, typer.Option("--world", "-w", help="The world to create.")] = "demo",
    seed: Annotated[int, typer.Option(help="Seed of the generated world.")] = 0,
    people: Annotated[int, typer.Option(min=1)] = 200,
    creators: Annotated[int, typer.Option(min=1)] = 20,
    items: Annotated[int, typer.Option(min=4)] = 300,
    days: Annotated[int, typer.Option(min=1)] = 7,
    as_json: JsonOption = False,
) -> None:
    """Generate a seeded demo world, ingest it (with its deliberate mistakes) and show it."""
    from mindshare.sim import generate_demo_world

    with _user_errors():
        database = _store()
        generated = generate_demo_world(
            seed=seed, people=people, creators=creators, items=items, days=days
        )
        _ensure_world(database, world, name=f"Demo world (seed {seed})")
        records = {
            RecordKind.CREATORS: generated.creators,
            RecordKind.ITEMS: generated.items,
            RecordKind.PEOPLE: generated.people,
            RecordKind.EVENTS: generated.events + generated.bad_events,
        }
        total = sum(len(r) for r in records.values())
        reports = _with_progress(
            f"Ingesting demo world {world!r}",
            total,
            lambda progress: engine.ingest_world(
                database, world, records, source="demo", progress=progress
            ),
            quiet=as_json,
        )
        result = engine.world_stats(database, world)
    if as_json:
        _print_json(
            {
                "ingested": {kind.value: report.counts() for kind, report in reports.items()},
                "stats": result.as_dict(),
            }
        )
        return
    _print_reports(world, reports)
    _print_stats(result)


def _ensure_world(database: sa.Engine, world_id: str, *, name: str = "") -> None:
    with database.begin() as connection:
        try:
            created = create_world(connection, world_id, name=name, now_ms=to_epoch_ms(utc_now()))
        except ValueError as error:
            raise MindshareError(str(error)) from None
    if created:
        err.print(f"Created world {world_id!r}.")


def _with_progress(
    label: str,
    total: int | None,
    work: Callable[[Callable[[IngestReport], None]], T],
    *,
    quiet: bool,
) -> T:
    """Run ``work`` with a progress bar advanced by each ingested batch (on stderr)."""
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task(label, total=total)
        return work(lambda batch: progress.advance(task, batch.submitted))


def _print_reports(world: str, reports: dict[RecordKind, IngestReport]) -> None:
    table = Table(title=f"Ingested into world {world!r}")
    for column in ("kind", "submitted", "accepted", "duplicates", "conflicts", "rejected"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, report in reports.items():
        counts = report.counts()
        table.add_row(kind.value, *(f"{counts[name]:,}" for name in list(counts)))
    out.print(table)
    for kind, report in reports.items():
        if report.people_created:
            out.print(f"{report.people_created:,} people were first seen in {kind}.")
        if report.updated:
            out.print(f"{report.updated:,} {kind} record(s) updated existing ones.")
        for location, problem in report.problems[:10]:
            out.print(
                f"  [yellow]{location}[/] {problem.rule}: {problem.describe()}", highlight=False
            )
        if report.rejected + report.conflicts > 10:
            out.print(f"  … see all with `mindshare rejected --world {world}`")


def _print_stats(result: engine.WorldStats) -> None:
    summary = Table(title=f"World {result.world_id!r}", show_header=False)
    summary.add_row("people", f"{result.people:,}")
    summary.add_row("creators", f"{result.creators:,}")
    for kind, count in result.items_by_kind.items():
        summary.add_row(f"items: {kind}", f"{count:,}")
    for event_type, count in result.events_by_type.items():
        summary.add_row(f"events: {event_type}", f"{count:,}")
    out.print(summary)
    if result.rejections_by_rule:
        reasons = Table(title="Rejected, by rule")
        reasons.add_column("rule")
        reasons.add_column("records", justify="right")
        for rule_name, count in result.rejections_by_rule.items():
            reasons.add_row(rule_name, f"{count:,}")
        out.print(reasons)
    if result.attention_by_day:
        peak = max(row.attentive_ms for row in result.attention_by_day) or 1
        days = Table(title="Verified attentive time per day")
        for column in ("day", "minutes", "people", "items", ""):
            days.add_column(column, justify="left" if column in ("day", "") else "right")
        for row in result.attention_by_day:
            bar = "█" * max(1, round(30 * row.attentive_ms / peak))
            days.add_row(
                row.day.isoformat(),
                f"{row.attentive_ms / 60_000:,.1f}",
                f"{row.people:,}",
                f"{row.items:,}",
                f"[cyan]{bar}[/]",
            )
        out.print(days)
    if result.top_creators:
        top = Table(title="Creators with the most verified attention")
        top.add_column("creator")
        top.add_column("minutes", justify="right")
        for creator in result.top_creators:
            top.add_row(creator.creator_id, f"{creator.attentive_ms / 60_000:,.1f}")
        out.print(top)
