"""Run one day of a world: the whole loop, composed once, with the world's people as agents.

``run_day`` is what the simulator drives (and what a replay of a real world would): the
``Population`` says what arrives and how people answer their feeds; everything else is
the real engine: ingest → attention → model → feeds and ad auctions → settlement in
the ledger → market trades → audit. The population owns only its agents.
"""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from mindshare.ads import Campaign, save_campaign
from mindshare.core import MS_PER_DAY, InputError, MindshareError, to_epoch_ms
from mindshare.datasets import load_world_dataset
from mindshare.economy import EconomyRules, fund_advertiser
from mindshare.engine._accounts import post_economy_transfers
from mindshare.engine._feeds import Feed, serve_feeds
from mindshare.engine._ingest import ingest, ingest_world
from mindshare.engine._market import (
    OpenListing,
    Trade,
    buy,
    deposit,
    list_item,
    open_listings,
)
from mindshare.engine._models import train_model
from mindshare.engine._settle import Settlement, settle_period
from mindshare.evaluation import assign_arms
from mindshare.events import IngestReport, Record, RecordKind, get_world
from mindshare.ledger import Ledger
from mindshare.models import ModelRegistry
from mindshare.store import events


@dataclass(frozen=True, slots=True)
class CampaignOffer:
    """An advertiser's campaign for the day, with the money it pays in to fund it."""

    campaign: Campaign
    creative_ids: tuple[str, ...]
    funding_minor: int = 0


@dataclass(frozen=True, slots=True)
class Arrivals:
    """What enters the world at the start of a day: creators, items, people, campaigns."""

    records: Mapping[RecordKind, Sequence[Record]] = field(default_factory=dict)
    campaigns: Sequence[CampaignOffer] = ()


@dataclass(frozen=True, slots=True)
class Deposit:
    """A person pays money in (once per reference)."""

    user_id: str
    amount_minor: int
    reference: str


@dataclass(frozen=True, slots=True)
class Offer:
    """An owner lists an item at a fixed price."""

    seller_id: str
    item_id: str
    price_minor: int
    listing_id: str


@dataclass(frozen=True, slots=True)
class Purchase:
    """A person buys a listing at its price."""

    buyer_id: str
    listing_id: str


MarketAction = Deposit | Offer | Purchase


class Population(Protocol):
    """The people, creators and advertisers of a world, as ``run_day`` meets them."""

    def arrivals(self, day: date) -> Arrivals:
        """What enters the world today, before anyone visits."""
        ...

    def visitors(self, day: date) -> Sequence[str]:
        """Who opens the world today (each is served one feed)."""
        ...

    def respond(self, day: date, feeds: Sequence[Feed]) -> Sequence[Record]:
        """The events people make with the feeds they were served today."""
        ...

    def trade(self, day: date, listings: Sequence[OpenListing]) -> Sequence[MarketAction]:
        """What people do on the market at the end of the day."""
        ...

    def observe(self, outcome: "DayOutcome") -> None:
        """Learn what the day paid and showed (creators and people adapt to it)."""
        ...


@dataclass(frozen=True, slots=True)
class Arm:
    """One arm of an experiment: its feed policy, and whether the model ranks for it (when
    not, its feeds rank by verified attention, the popularity baseline)."""

    name: str
    policy: str
    uses_model: bool = True


@dataclass(frozen=True, slots=True)
class DayOptions:
    """How a day is run: the feed policy, the model and how often it is retrained.

    With ``arms`` the day is an A/B experiment: each visitor is in the arm
    ``evaluation.assign_arm`` gives them under ``arm_salt``, the same every day, and is
    served that arm's policy (with or without the model); ``policy`` is then unused.
    """

    policy: str = "greedy"
    model: str | None = None
    retrain_every_days: int = 7
    slots: int = 10
    seed: int = 0
    #: The least item interactions a world needs before a model is trained on it.
    min_training_interactions: int = 50
    arms: tuple[Arm, ...] = ()
    arm_salt: str = "experiment"

    def __post_init__(self) -> None:
        if self.slots < 1:
            raise InputError(f"a feed needs at least one slot, not {self.slots}")
        if self.retrain_every_days < 1:
            raise InputError("retrain_every_days must be at least 1")
        names = [arm.name for arm in self.arms]
        if self.arms and (len(names) < 2 or len(set(names)) != len(names)):
            raise InputError(f"an experiment needs two or more distinct arms, not {names}")

    def groups(self, visitors: Sequence[str]) -> list[tuple[Arm, list[str]]]:
        """Each arm with the visitors in it; without arms, one arm of everyone."""
        if not self.arms:
            return [(Arm("all", self.policy), list(visitors))]
        chosen = assign_arms(visitors, [arm.name for arm in self.arms], salt=self.arm_salt)
        return [
            (arm, [v for v, name in zip(visitors, chosen, strict=True) if name == arm.name])
            for arm in self.arms
        ]


@dataclass(frozen=True, slots=True)
class DayOutcome:
    """Everything a day did, for the population to adapt to and for metrics."""

    day: date
    feeds: tuple[Feed, ...]
    arrivals: dict[str, IngestReport]
    events: IngestReport
    settlement: Settlement
    trades: tuple[Trade, ...]
    refused_actions: tuple[str, ...]
    model: str | None
    seconds: dict[str, float]
    notes: tuple[str, ...] = ()


def run_day(
    store: sa.Engine,
    world_id: str,
    day: date,
    population: Population,
    *,
    options: DayOptions,
    registry: ModelRegistry,
) -> DayOutcome:
    """Run ``day`` of the world through the real engine; the ledger's audit must pass.

    Arrivals are ingested at the start of the day, the model (``options.model``, none
    for ranking by verified attention) is retrained every ``retrain_every_days``, every
    visitor is served a feed at noon, their events are ingested, the day is settled as
    its own period, the market trades, and the ledger is audited.
    """
    timings: dict[str, float] = {}
    start_ms = to_epoch_ms(datetime(day.year, day.month, day.day, tzinfo=UTC))
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    arrivals = population.arrivals(day)
    arrived = ingest_world(store, world_id, dict(arrivals.records), source=f"day {day}", now=end)
    _open_campaigns(store, world_id, arrivals.campaigns, day=day, now_ms=start_ms)
    lap("arrivals")

    notes: list[str] = []
    model = _refresh_model(store, world_id, day, options, registry, notes)
    lap("model")

    feeds = [
        feed
        for arm, visitors in options.groups(population.visitors(day))
        for feed in serve_feeds(
            store,
            world_id,
            visitors,
            options.slots,
            policy=arm.policy,
            registry=registry if options.model and arm.uses_model else None,
            now_ms=start_ms + MS_PER_DAY // 2,
            seed=options.seed * 100_003 + day.toordinal(),
        )
    ]
    lap("feeds")

    responses = population.respond(day, feeds)
    events = ingest(store, world_id, RecordKind.EVENTS, responses, source=f"day {day}", now=end)
    lap("events")

    settlement = settle_period(store, world_id, f"{day}..{day}", now_ms=to_epoch_ms(end))
    lap("settle")

    listings = open_listings(store, world_id, now_ms=to_epoch_ms(end) - 1)
    trades, refused = _trade(
        store, world_id, population.trade(day, listings), now_ms=to_epoch_ms(end) - 1
    )
    lap("market")

    audit = Ledger(store, world_id).audit()
    if not audit.ok:
        raise MindshareError(f"the ledger's audit failed after {day}: {'; '.join(audit.problems)}")
    lap("audit")

    outcome = DayOutcome(
        day=day,
        feeds=tuple(feeds),
        arrivals={kind.value: report for kind, report in arrived.items()},
        events=events,
        settlement=settlement,
        trades=tuple(trades),
        refused_actions=tuple(refused),
        model=model,
        seconds=timings,
        notes=tuple(notes),
    )
    population.observe(outcome)
    return outcome


def fund_advertiser_account(
    store: sa.Engine,
    world_id: str,
    advertiser_id: str,
    amount_minor: int,
    *,
    reference: str,
    currency: str | None = None,
) -> None:
    """Pay money into an advertiser's account from outside, once per ``reference``, in
    ``currency`` (the world economy's when not given)."""
    currency = currency or _economy_currency(store, world_id)
    posting = fund_advertiser(advertiser_id, amount_minor, currency=currency, reference=reference)
    post_economy_transfers(Ledger(store, world_id), [posting])


def _economy_currency(store: sa.Engine, world_id: str) -> str:
    with store.connect() as connection:
        return EconomyRules.from_world_config(get_world(connection, world_id).config).currency


def _open_campaigns(
    store: sa.Engine,
    world_id: str,
    offers: Sequence[CampaignOffer],
    *,
    day: date,
    now_ms: int,
) -> None:
    if not offers:
        return
    currency = _economy_currency(store, world_id)
    for offer in offers:
        if offer.funding_minor > 0:
            fund_advertiser_account(
                store,
                world_id,
                offer.campaign.advertiser_id,
                offer.funding_minor,
                reference=f"{offer.campaign.campaign_id}:{day}",
                currency=currency,
            )
        with store.begin() as connection:
            save_campaign(
                connection,
                world_id,
                offer.campaign,
                currency=currency,
                creative_ids=offer.creative_ids,
                now_ms=now_ms,
            )


def _refresh_model(
    store: sa.Engine,
    world_id: str,
    day: date,
    options: DayOptions,
    registry: ModelRegistry,
    notes: list[str],
) -> str | None:
    """Retrain and activate the model on its schedule; the active version's label."""
    if options.model is None:
        return None
    active = registry.active(world_id)
    due = active is None or day.toordinal() % options.retrain_every_days == 0
    if due:
        with store.connect() as connection:
            has_data = (
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(events)
                    .where(events.c.world_id == world_id, events.c.item_id.is_not(None))
                ).scalar_one()
                >= options.min_training_interactions
            )
            data = load_world_dataset(connection, world_id) if has_data else None
        if data is None:
            notes.append(
                f"{options.model} not trained: fewer than "
                f"{options.min_training_interactions} item interactions"
            )
        else:
            try:
                _, version = train_model(data, options.model, registry, seed=options.seed)
            except InputError as error:  # too little history to split off validation
                notes.append(f"{options.model} not trained: {error}")
            else:
                registry.activate(world_id, version.model, version.version)
                active = version
    return None if active is None else f"{active.model}@{active.version}"


def _trade(
    store: sa.Engine, world_id: str, actions: Sequence[MarketAction], *, now_ms: int
) -> tuple[list[Trade], list[str]]:
    """Carry out the day's market actions; one the market refuses is noted, not fatal."""
    trades: list[Trade] = []
    refused: list[str] = []
    for action in actions:
        try:
            if isinstance(action, Deposit):
                deposit(
                    store,
                    world_id,
                    user_id=action.user_id,
                    amount_minor=action.amount_minor,
                    reference=action.reference,
                )
            elif isinstance(action, Offer):
                list_item(
                    store,
                    world_id,
                    seller_id=action.seller_id,
                    item_id=action.item_id,
                    kind="fixed",
                    price_minor=action.price_minor,
                    listing_id=action.listing_id,
                    now_ms=now_ms,
                )
            else:
                trades.append(
                    buy(
                        store,
                        world_id,
                        buyer_id=action.buyer_id,
                        listing_id=action.listing_id,
                        now_ms=now_ms,
                    )
                )
        except MindshareError as error:  # the market's rules, funds, unknown listings
            refused.append(f"{type(action).__name__}: {error}")
    return trades, refused
