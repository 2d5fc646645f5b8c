"""Routes that predict and allocate attention: the feed, similar and trending items, ad
auctions, and the world's attention models."""

from datetime import date
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from mindshare import engine
from mindshare.ads import run_auction
from mindshare.allocation import FeedPolicyName
from mindshare.core import NotFound, to_epoch_ms, utc_now
from mindshare.models import ModelVersion
from mindshare.service._auth import authorize
from mindshare.service._errors import ERROR_RESPONSES
from mindshare.service._keys import ApiKey, Scope
from mindshare.service._types import PathId

attention_routes = APIRouter(prefix="/v1/worlds/{world}", responses=ERROR_RESPONSES)

Read = Annotated[ApiKey, Depends(authorize(Scope.READ))]
Admin = Annotated[ApiKey, Depends(authorize(Scope.ADMIN))]
Slots = Annotated[int, Query(ge=1, le=100, description="How many slots or items.")]


class SlotOut(BaseModel):
    """One slot of a feed and why it went there (predicted attention, fairness, diversity,
    exploration, auction rank and price)."""

    slot: int
    item_id: str
    creator_id: str
    kind: str
    score: float
    exposure: float
    explanation: dict[str, Any]
    campaign_id: str | None
    price_per_second: float | None


class FeedOut(BaseModel):
    """A feed served to one person and recorded in the world's exposure log."""

    feed_id: str
    user_id: str
    policy: str
    model: str | None
    served_ms: int
    budget_left_ms: int
    slots: list[SlotOut]
    notes: list[str]


class Neighbour(BaseModel):
    """An item like the one asked about."""

    item_id: str
    creator_id: str
    score: float


class SimilarOut(BaseModel):
    """Items like ``item_id``, most similar first; ``source`` says what judged it."""

    item_id: str
    source: str
    neighbours: list[Neighbour]
    notes: list[str]


class TrendingItem(BaseModel):
    """An item's verified attention now and in the window before."""

    item_id: str
    creator_id: str
    title: str
    recent_ms: int
    previous_ms: int
    rising: float
    score: float


class TrendingOut(BaseModel):
    """Items by recent and rising verified attention; ``recent`` and ``previous`` are the
    first and last days of the two windows compared."""

    window_days: int
    recent: list[date]
    previous: list[date]
    items: list[TrendingItem]


class AuctionIn(BaseModel):
    """Bids per attentive second, predicted attentive seconds (quality) and slot weights."""

    model_config = ConfigDict(extra="forbid")
    bids: list[float] = Field(min_length=1, max_length=10_000)
    qualities: list[float] = Field(min_length=1, max_length=10_000)
    slot_weights: list[float] = Field(min_length=1, max_length=100)
    mechanism: Literal["gsp", "vcg", "first"] = "gsp"
    reserve: float = 0.0


class AuctionSlot(BaseModel):
    """Who won a slot (-1: nobody) and what they pay per attentive second."""

    slot: int
    winner: int
    price: float
    attention: float
    payment: float


class AuctionOut(BaseModel):
    """The auction's slots and its expected revenue."""

    mechanism: str
    slots: list[AuctionSlot]
    revenue: float


class ModelOut(BaseModel):
    """A model version trained on this world, with its validation metrics."""

    model: str
    version: int
    params: dict[str, Any]
    fingerprint: str
    created_at: str
    train_s: float
    metrics: dict[str, float]
    active: bool


@attention_routes.get("/feed/{user_id}", tags=["attention"])
def get_feed(
    request: Request,
    world: str,
    user_id: PathId,
    _key: Read,
    k: Slots = 10,
    policy: Annotated[
        FeedPolicyName | None, Query(description="The world's policy when left out.")
    ] = None,
) -> FeedOut:
    """Serve a feed of up to ``k`` slots to a person with the world's active model (scope
    ``read``); every slot is recorded with its explanation."""
    state = request.app.state.mindshare
    now_ms = to_epoch_ms(utc_now())
    options: dict[str, Any] = {
        "policy": policy,
        "registry": state.registry,
        "now_ms": now_ms,
        "cache": state.feeds,
    }
    # Someone first seen since the world was cached is read on their own (FeedCache), so
    # NotFound is final: an unknown id never makes the whole world be read again.
    feed = engine.serve_feed(state.store, world, user_id, k, **options)
    return FeedOut(
        feed_id=feed.feed_id,
        user_id=feed.user_id,
        policy=feed.policy,
        model=feed.model,
        served_ms=feed.served_ms,
        budget_left_ms=feed.budget_left_ms,
        slots=[
            SlotOut(
                slot=s.slot,
                item_id=s.item_id,
                creator_id=s.creator_id,
                kind=s.kind,
                score=s.score,
                exposure=s.exposure,
                explanation=s.explanation,
                campaign_id=s.campaign_id,
                price_per_second=s.price_per_second,
            )
            for s in feed.slots
        ],
        notes=list(feed.notes),
    )


@attention_routes.get("/items/{item_id}/similar", tags=["attention"])
def get_similar(
    request: Request, world: str, item_id: PathId, _key: Read, k: Slots = 10
) -> SimilarOut:
    """Items like this one, from the world's active model or, without one, from who gave
    attention to both (scope ``read``)."""
    state = request.app.state.mindshare
    similar = engine.similar_items(state.store, world, item_id, k, registry=state.registry)
    return SimilarOut(
        item_id=similar.item_id,
        source=similar.source,
        neighbours=[
            Neighbour(item_id=n.item_id, creator_id=n.creator_id, score=n.score)
            for n in similar.neighbours
        ],
        notes=list(similar.notes),
    )


@attention_routes.get("/trending", tags=["attention"])
def get_trending(
    request: Request,
    world: str,
    _key: Read,
    k: Slots = 10,
    window: Annotated[int, Query(ge=1, le=365, description="Days in each window.")] = 7,
) -> TrendingOut:
    """Items by verified attention in the last ``window`` days, tilted toward those rising
    against the window before (scope ``read``)."""
    now_ms = to_epoch_ms(utc_now())
    found = engine.trending(
        request.app.state.mindshare.store, world, k=k, window_days=window, now_ms=now_ms
    )
    return TrendingOut(
        window_days=found.window_days,
        recent=list(found.recent),
        previous=list(found.previous),
        items=[
            TrendingItem(
                item_id=i.item_id,
                creator_id=i.creator_id,
                title=i.title,
                recent_ms=i.recent_ms,
                previous_ms=i.previous_ms,
                rising=i.rising,
                score=i.score,
            )
            for i in found.items
        ],
    )


@attention_routes.post("/ads/auction", tags=["attention"])
def post_auction(body: AuctionIn, _key: Read) -> AuctionOut:
    """Run one ad auction: rank by bid × quality, price by GSP, VCG or first price (scope
    ``read``; nothing is recorded)."""
    result = run_auction(
        np.asarray(body.bids, dtype=np.float64),
        np.asarray(body.qualities, dtype=np.float64),
        np.asarray(body.slot_weights, dtype=np.float64),
        mechanism=body.mechanism,
        reserve=body.reserve,
    )
    return AuctionOut(
        mechanism=result.mechanism,
        slots=[
            AuctionSlot(
                slot=s.slot,
                winner=s.winner,
                price=s.price,
                attention=s.attention,
                payment=s.payment,
            )
            for s in result.slots()
        ],
        revenue=result.revenue,
    )


@attention_routes.get("/models", tags=["models"])
def get_models(request: Request, world: str, _key: Read) -> list[ModelOut]:
    """The model versions trained on this world and which one serves it (scope ``read``)."""
    registry = request.app.state.mindshare.registry
    active = registry.active(world)
    return [_model_out(version, active) for version in registry.world_versions(world)]


@attention_routes.post("/models/{model}/versions/{version}/activate", tags=["models"])
def activate_model(
    request: Request,
    world: str,
    model: PathId,
    version: Annotated[int, Path(ge=1)],
    _key: Admin,
) -> ModelOut:
    """Serve this world's feeds with a version trained on it (scope ``admin``)."""
    state = request.app.state.mindshare
    chosen = state.registry.get(model, version)
    if chosen not in state.registry.world_versions(world):
        raise NotFound(f"there is no version {version} of model {model!r} trained on {world!r}")
    state.registry.activate(world, model, version)
    state.feeds.invalidate(world)
    return _model_out(chosen, chosen)


def _model_out(version: ModelVersion, active: ModelVersion | None) -> ModelOut:
    return ModelOut(
        model=version.model,
        version=version.version,
        params=version.params,
        fingerprint=version.fingerprint,
        created_at=version.created_at,
        train_s=version.train_s,
        metrics=version.metrics,
        active=active is not None
        and (active.model, active.version) == (version.model, version.version),
    )
