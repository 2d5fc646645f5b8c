"""Worlds: the tenants whose events, people and items Mindshare keeps apart."""

from typing import Any

import sqlalchemy as sa

from mindshare.core import NotFound, World
from mindshare.events._records import Problem
from mindshare.events._validate import Invalid, Limits, _identifier, canonical_json
from mindshare.store import worlds


def create_world(
    connection: sa.Connection,
    world_id: str,
    *,
    name: str = "",
    config: dict[str, Any] | None = None,
    now_ms: int,
) -> bool:
    """Create a world if it does not exist yet; True when it was created."""
    problem = world_id_problem(world_id)
    if problem is not None:
        raise ValueError(f"world id {world_id!r}: {problem.message}")
    if config is not None:
        canonical_json(config)  # refuses anything that is not JSON
    exists = connection.execute(
        sa.select(worlds.c.world_id).where(worlds.c.world_id == world_id)
    ).first()
    if exists is not None:
        return False
    connection.execute(
        worlds.insert().values(world_id=world_id, name=name, config=config, created_ms=now_ms)
    )
    return True


def get_world(connection: sa.Connection, world_id: str) -> World:
    """The world named ``world_id``, or NotFound."""
    row = connection.execute(sa.select(worlds).where(worlds.c.world_id == world_id)).first()
    if row is None:
        raise NotFound(
            f"world {world_id!r} does not exist: create it first "
            f"(`mindshare ingest` creates it with the first batch)"
        )
    return World(world_id=row.world_id, name=row.name, config=dict(row.config or {}))


def list_worlds(connection: sa.Connection) -> list[World]:
    """Every world in the store, by id."""
    rows = connection.execute(sa.select(worlds).order_by(worlds.c.world_id)).all()
    return [World(world_id=r.world_id, name=r.name, config=dict(r.config or {})) for r in rows]


def world_id_problem(world_id: str) -> Problem | None:
    """Why ``world_id`` cannot name a world, or None when it can."""
    try:
        _identifier({"world_id": world_id}, "world_id", Limits())
    except Invalid as invalid:
        return invalid.problem
    return None
