"""``mindshare serve`` and ``mindshare keys``: the HTTP service and its per-world API keys."""

from typing import Annotated

import typer
from rich.table import Table

from mindshare.cli._app import (
    JsonOption,
    _ensure_world,
    _print_json,
    _store,
    _user_errors,
    app,
    out,
)
from mindshare.core import to_epoch_ms, utc_now

keys_app = typer.Typer(help="API keys of the HTTP service, one world each.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    read_key_for: Annotated[
        str | None,
        typer.Option(help="Create a read key of this world and print it to log in with."),
    ] = None,
) -> None:
    """Run the HTTP API and the dashboard (stop with Ctrl-C)."""
    import uvicorn

    from mindshare.service import Scope, create_api_key, create_app

    with _user_errors():
        database = _store()
        service = create_app(store=database)
        if read_key_for is not None:
            with database.begin() as connection:
                created = create_api_key(
                    connection,
                    read_key_for,
                    frozenset({Scope.READ}),
                    name="printed by mindshare serve",
                    now_ms=to_epoch_ms(utc_now()),
                )
    out.print(f"Mindshare API at http://{host}:{port}/v1 (OpenAPI at /docs)")
    out.print(f"Dashboard at http://{host}:{port}/dashboard", highlight=False)
    if read_key_for is not None:
        out.print(
            f"Read key of world {read_key_for!r}: {created.token}", highlight=False, soft_wrap=True
        )
    out.print("Stop with Ctrl-C.")
    uvicorn.run(service, host=host, port=port, log_level="warning", access_log=False)


@keys_app.command("create")
def create_key(
    world: Annotated[str, typer.Option("--world", "-w", help="The world the key may act on.")],
    scopes: Annotated[
        str, typer.Option(help="Comma-separated: ingest, read, trade, admin.")
    ] = "read",
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create an API key of a world and print it; it is shown this once and never again."""
    from mindshare.service import create_api_key, parse_scopes

    with _user_errors():
        chosen = parse_scopes(scopes)
        database = _store()
        _ensure_world(database, world)
        with database.begin() as connection:
            created = create_api_key(
                connection, world, chosen, name=name, now_ms=to_epoch_ms(utc_now())
            )
    ordered = sorted(scope.value for scope in created.key.scopes)
    if as_json:
        _print_json(
            {"key_id": created.key.key_id, "world": world, "scopes": ordered, "key": created.token}
        )
        return
    out.print(f"Key {created.key.key_id} of world {world!r} with scopes {', '.join(ordered)}:")
    out.print(created.token, highlight=False, soft_wrap=True)
    out.print("Keep it now: Mindshare stores only its digest and cannot show it again.")


@keys_app.command("list")
def list_keys(
    world: Annotated[str, typer.Option("--world", "-w", help="The world.")],
    as_json: JsonOption = False,
) -> None:
    """The keys of a world (never their secrets)."""
    from mindshare.service import list_api_keys

    with _user_errors(), _store().connect() as connection:
        keys = list_api_keys(connection, world)
    rows = [
        {
            "key_id": key.key_id,
            "scopes": sorted(scope.value for scope in key.scopes),
            "name": key.name,
            "created_ms": key.created_ms,
            "revoked_ms": key.revoked_ms,
        }
        for key in keys
    ]
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"API keys of world {world!r}")
    for column in ("key id", "scopes", "name", "revoked"):
        table.add_column(column)
    for key in keys:
        scopes = ",".join(sorted(scope.value for scope in key.scopes))
        table.add_row(key.key_id, scopes, key.name, "yes" if key.revoked_ms else "")
    out.print(table)


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The key id to revoke.")]) -> None:
    """Revoke a key; a running service stops accepting it within seconds."""
    from mindshare.service import revoke_api_key

    with _user_errors(), _store().begin() as connection:
        revoke_api_key(connection, key_id, now_ms=to_epoch_ms(utc_now()))
    out.print(f"Revoked key {key_id}.")
