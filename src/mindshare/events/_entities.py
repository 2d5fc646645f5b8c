"""Read one person, creator or item of a world as the domain types of ``core``."""

import sqlalchemy as sa

from mindshare.core import Creator, Item, ItemKind, Money, NotFound, Person
from mindshare.store import creators, items, people


def get_person(connection: sa.Connection, world_id: str, user_id: str) -> Person:
    """The person ``user_id`` of the world, or NotFound."""
    row = connection.execute(
        sa.select(people.c.attributes).where(
            people.c.world_id == world_id, people.c.user_id == user_id
        )
    ).first()
    if row is None:
        raise NotFound(f"person {user_id!r} is not in world {world_id!r}")
    return Person(world_id=world_id, user_id=user_id, attributes=dict(row.attributes or {}))


def get_creator(connection: sa.Connection, world_id: str, creator_id: str) -> Creator:
    """The creator ``creator_id`` of the world, or NotFound."""
    row = connection.execute(
        sa.select(creators.c.name, creators.c.attributes).where(
            creators.c.world_id == world_id, creators.c.creator_id == creator_id
        )
    ).first()
    if row is None:
        raise NotFound(f"creator {creator_id!r} is not in world {world_id!r}")
    return Creator(
        world_id=world_id,
        creator_id=creator_id,
        name=row.name,
        attributes=dict(row.attributes or {}),
    )


def get_item(connection: sa.Connection, world_id: str, item_id: str) -> Item:
    """The item ``item_id`` of the world, or NotFound."""
    row = connection.execute(
        sa.select(items).where(items.c.world_id == world_id, items.c.item_id == item_id)
    ).first()
    if row is None:
        raise NotFound(f"item {item_id!r} is not in world {world_id!r}")
    price = (
        Money(row.price_minor, row.currency)
        if row.price_minor is not None and row.currency is not None
        else None
    )
    return Item(
        world_id=world_id,
        item_id=item_id,
        kind=ItemKind(row.kind),
        creator_id=row.creator_id,
        title=row.title,
        text=row.text,
        tags=tuple(row.tags or ()),
        price=price,
    )
