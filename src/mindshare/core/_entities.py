"""The tenants and actors of a world: worlds, people, creators and items."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mindshare.core._money import Money


class ItemKind(StrEnum):
    """What an item is: something to look at, to own, an advert, or a place to be."""

    CONTENT = "content"
    ASSET = "asset"
    AD = "ad"
    SPACE = "space"


@dataclass(frozen=True, slots=True)
class World:
    """A tenant: one game, social space or creator platform, with its own rules."""

    world_id: str
    name: str = ""
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who gives attention (a user of the world)."""

    world_id: str
    user_id: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Creator:
    """Someone who makes items and is paid for the attention they earn."""

    world_id: str
    creator_id: str
    name: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Item:
    """Something attention can be spent on; it carries the creator who will be paid for it."""

    world_id: str
    item_id: str
    kind: ItemKind
    creator_id: str
    title: str = ""
    text: str = ""
    tags: tuple[str, ...] = ()
    price: Money | None = None
