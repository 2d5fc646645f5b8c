"""``mindshare allocate``: serve every person of a world a feed, recorded in the store."""

from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mindshare import engine
from mindshare.allocation import FEED_POLICIES
from mindshare.cli._app import (
    JsonOption,
    WorldOption,
    _print_json,
    _store,
    _user_errors,
    app,
    err,
    out,
)
from mindshare.cli._models import _registry
from mindshare.core import InputError, to_epoch_ms, utc_now

#: Slots shown per person in the printed table (every slot is in the store and the JSON).
SHOWN_SLOTS = 3


@app.command()
def allocate(
    world: WorldOption,
    policy: Annotated[
        str, typer.Option(help=f"Ranking policy: {' | '.join(FEED_POLICIES)}.")
    ] = "greedy",
    slots: Annotated[int, typer.Option("--slots", "-k", help="Slots per feed.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of exploration's random draws.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Serve a feed to every person of the world with the active model, and record it."""
    with _user_errors():
        if policy not in FEED_POLICIES:
            raise InputError(f"unknown policy {policy!r}; choose one of {', '.join(FEED_POLICIES)}")
        if slots < 1:
            raise InputError(f"--slots must be at least 1, got {slots}")
        store = _store()
        people = engine.active_people(store, world)
        if not people:
            raise InputError(f"world {world!r} has nobody to serve: ingest people first")
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=as_json,
        ) as progress:
            task = progress.add_task(f"Serving {policy} feeds", total=len(people))
            served = engine.serve_feeds(
                store,
                world,
                people,
                slots,
                policy=policy,
                registry=_registry(),
                now_ms=to_epoch_ms(utc_now()),
                seed=seed,
                on_feed=lambda _feed: progress.advance(task),
            )
    if as_json:
        _print_json({"world": world, "policy": policy, "feeds": [_feed_json(f) for f in served]})
        return
    table = Table(title=f"Feeds served in {world!r} by {policy} (first {SHOWN_SLOTS} slots each)")
    for column in ("person", "slot", "item", "kind", "score", "parts"):
        table.add_column(column, justify="right" if column in ("slot", "score") else "left")
    for feed in served:
        for entry in feed.slots[:SHOWN_SLOTS]:
            parts = ", ".join(
                f"{name} {value:.3g}" if isinstance(value, float) else f"{name} {value}"
                for name, value in entry.explanation.items()
            )
            table.add_row(
                feed.user_id,
                str(entry.slot),
                entry.item_id,
                entry.kind,
                f"{entry.score:.3f}",
                parts,
            )
    out.print(table)
    total = sum(len(feed.slots) for feed in served)
    ads_shown = sum(entry.kind == "ad" for feed in served for entry in feed.slots)
    model = served[0].model or "none (most verified attention)"
    out.print(
        f"{len(served):,} feeds, {total:,} slots ({ads_shown:,} ads) recorded; model {model}",
        highlight=False,
    )


def _feed_json(feed: engine.Feed) -> dict[str, Any]:
    return {
        "feed_id": feed.feed_id,
        "person": feed.user_id,
        "model": feed.model,
        "budget_left_ms": feed.budget_left_ms,
        "notes": list(feed.notes),
        "slots": [
            {
                "slot": entry.slot,
                "item": entry.item_id,
                "creator": entry.creator_id,
                "kind": entry.kind,
                "score": entry.score,
                "exposure": entry.exposure,
                "parts": entry.explanation,
                "campaign": entry.campaign_id,
                "price_per_second": entry.price_per_second,
            }
            for entry in feed.slots
        ],
    }
