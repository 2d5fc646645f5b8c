"""Routes that bring a world's data in and read it back: events, items, people, creators.

Batches go through the same ingestion as files: every record is validated, the
rejected ones are stored with their reason (``mindshare rejected`` lists them), and the
answer counts ``accepted + duplicates + conflicts + rejected = submitted``.
"""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from mindshare import engine
from mindshare.events import (
    MAX_PROBLEMS_IN_REPORT,
    IngestReport,
    RecordKind,
    get_creator,
    get_item,
    get_person,
)
from mindshare.service._auth import authorize
from mindshare.service._errors import ERROR_RESPONSES, ApiError
from mindshare.service._keys import ApiKey, Scope
from mindshare.service._types import PathId

world_routes = APIRouter(prefix="/v1/worlds/{world}", responses=ERROR_RESPONSES)

MAX_BATCH = 10_000
Ingest = Annotated[ApiKey, Depends(authorize(Scope.INGEST))]
Read = Annotated[ApiKey, Depends(authorize(Scope.READ))]
Records = Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_BATCH)]


class RecordProblem(BaseModel):
    """Why one record of the batch was rejected; ``location`` is its place in the body."""

    location: str
    rule: str
    field: str | None
    reason: str


class IngestAnswer(BaseModel):
    """What happened to a batch (the same counts as ``mindshare ingest --json``)."""

    submitted: int
    accepted: int
    duplicates: int
    conflicts: int
    rejected: int
    updated: int
    people_created: int
    problems: list[RecordProblem]


class EventBatch(BaseModel):
    """Up to 10,000 events, each an object with the fields of the README's events table."""

    model_config = ConfigDict(extra="forbid")
    events: Records


class ItemBatch(BaseModel):
    """Up to 10,000 items to create or update."""

    model_config = ConfigDict(extra="forbid")
    items: Records


class PersonBatch(BaseModel):
    """Up to 10,000 people to create or update."""

    model_config = ConfigDict(extra="forbid")
    people: Records


class CreatorBatch(BaseModel):
    """Up to 10,000 creators to create or update."""

    model_config = ConfigDict(extra="forbid")
    creators: Records


class ItemBody(BaseModel):
    """An item's fields; its id is in the path. ``creator_id`` never changes once set."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="content, asset, ad or space")
    creator_id: str
    title: str = ""
    text: str = ""
    tags: list[str] = []
    price_minor: int | None = None
    currency: str | None = None


class ItemOut(ItemBody):
    """A stored item."""

    item_id: str


class PersonBody(BaseModel):
    """A person's fields; their id is in the path."""

    model_config = ConfigDict(extra="forbid")
    attributes: dict[str, Any] = {}


class PersonOut(PersonBody):
    """A stored person."""

    user_id: str


class CreatorBody(BaseModel):
    """A creator's fields; their id is in the path."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    attributes: dict[str, Any] = {}


class CreatorOut(CreatorBody):
    """A stored creator."""

    creator_id: str


@world_routes.post("/events", tags=["ingest"])
def post_events(request: Request, world: str, body: EventBatch, _key: Ingest) -> IngestAnswer:
    """Ingest a batch of events (scope ``ingest``); replays are duplicates, never doubles."""
    return _ingest(request, world, RecordKind.EVENTS, body.events)


@world_routes.post("/items", tags=["ingest"])
def post_items(request: Request, world: str, body: ItemBatch, _key: Ingest) -> IngestAnswer:
    """Create or update a batch of items (scope ``ingest``)."""
    return _ingest(request, world, RecordKind.ITEMS, body.items)


@world_routes.post("/people", tags=["ingest"])
def post_people(request: Request, world: str, body: PersonBatch, _key: Ingest) -> IngestAnswer:
    """Create or update a batch of people (scope ``ingest``)."""
    return _ingest(request, world, RecordKind.PEOPLE, body.people)


@world_routes.post("/creators", tags=["ingest"])
def post_creators(request: Request, world: str, body: CreatorBatch, _key: Ingest) -> IngestAnswer:
    """Create or update a batch of creators (scope ``ingest``)."""
    return _ingest(request, world, RecordKind.CREATORS, body.creators)


@world_routes.put("/items/{item_id}", tags=["ingest"])
def put_item(
    request: Request, world: str, item_id: PathId, body: ItemBody, _key: Ingest
) -> ItemOut:
    """Create or update one item (scope ``ingest``); a refused one answers 400 with the rule."""
    _ingest_one(request, world, RecordKind.ITEMS, {"item_id": item_id, **body.model_dump()})
    return get_item_route(request, world, item_id, _key)


@world_routes.put("/people/{user_id}", tags=["ingest"])
def put_person(
    request: Request, world: str, user_id: PathId, body: PersonBody, _key: Ingest
) -> PersonOut:
    """Create or update one person (scope ``ingest``)."""
    _ingest_one(request, world, RecordKind.PEOPLE, {"user_id": user_id, **body.model_dump()})
    return get_person_route(request, world, user_id, _key)


@world_routes.put("/creators/{creator_id}", tags=["ingest"])
def put_creator(
    request: Request, world: str, creator_id: PathId, body: CreatorBody, _key: Ingest
) -> CreatorOut:
    """Create or update one creator (scope ``ingest``)."""
    record = {"creator_id": creator_id, **body.model_dump()}
    _ingest_one(request, world, RecordKind.CREATORS, record)
    return get_creator_route(request, world, creator_id, _key)


@world_routes.get("/items/{item_id}", tags=["read"])
def get_item_route(request: Request, world: str, item_id: PathId, _key: Read) -> ItemOut:
    """One item (scope ``read``)."""
    with request.app.state.mindshare.store.connect() as connection:
        item = get_item(connection, world, item_id)
    return ItemOut(
        item_id=item.item_id,
        kind=item.kind.value,
        creator_id=item.creator_id,
        title=item.title,
        text=item.text,
        tags=list(item.tags),
        price_minor=item.price.minor if item.price else None,
        currency=item.price.currency if item.price else None,
    )


@world_routes.get("/people/{user_id}", tags=["read"])
def get_person_route(request: Request, world: str, user_id: PathId, _key: Read) -> PersonOut:
    """One person (scope ``read``)."""
    with request.app.state.mindshare.store.connect() as connection:
        person = get_person(connection, world, user_id)
    return PersonOut(user_id=person.user_id, attributes=person.attributes)


@world_routes.get("/creators/{creator_id}", tags=["read"])
def get_creator_route(request: Request, world: str, creator_id: PathId, _key: Read) -> CreatorOut:
    """One creator (scope ``read``)."""
    with request.app.state.mindshare.store.connect() as connection:
        creator = get_creator(connection, world, creator_id)
    return CreatorOut(
        creator_id=creator.creator_id, name=creator.name, attributes=creator.attributes
    )


def _ingest(
    request: Request, world: str, kind: RecordKind, records: list[dict[str, Any]]
) -> IngestAnswer:
    state = request.app.state.mindshare
    report = engine.ingest(state.store, world, kind, records, source=kind.value)
    if kind is not RecordKind.EVENTS and report.accepted:
        state.feeds.invalidate(world)
    return _answer(report)


def _ingest_one(request: Request, world: str, kind: RecordKind, record: Mapping[str, Any]) -> None:
    state = request.app.state.mindshare
    report = engine.ingest(state.store, world, kind, [record], source=kind.value)
    if report.problems:
        _location, problem = report.problems[0]
        raise ApiError(400, str(problem.rule), problem.describe())
    state.feeds.invalidate(world)


def _answer(report: IngestReport) -> IngestAnswer:
    counts = report.counts()
    return IngestAnswer(
        **counts,
        updated=report.updated,
        people_created=report.people_created,
        problems=[
            RecordProblem(
                location=location,
                rule=str(problem.rule),
                field=problem.field,
                reason=problem.describe(),
            )
            for location, problem in report.problems[:MAX_PROBLEMS_IN_REPORT]
        ],
    )
