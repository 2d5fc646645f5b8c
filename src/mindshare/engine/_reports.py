"""The read models behind the dashboard: one report per page, chart-ready, composed here.

Each report reads tables of several packages (attention, served feeds, the ledger,
settlements, campaigns, the market, the model registry), so it is composed once in
``engine``; the pages only render what these return. Every report is a frozen dataclass
of parallel lists (one entry per day, creator, flow, listing …) whose ``to_dict`` gives
JSON-safe values: dates and times as ISO 8601, non-finite numbers as ``None``.
Aggregation happens in SQL (``GROUP BY``); nothing loads an event table whole (the
market report reads every sale, which its price model is fitted on).
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from mindshare.allocation import FeedRules
from mindshare.core import MS_PER_DAY, MS_PER_MINUTE, date_of_day, day_of, from_epoch_ms
from mindshare.engine._market import open_listings
from mindshare.engine._stats import world_stats
from mindshare.evaluation import gini, lorenz_curve, new_creator_exposure_share
from mindshare.events import get_world
from mindshare.ledger._rules import PLAIN, POST
from mindshare.market import (
    AssetRow,
    NotEnoughSales,
    PriceModel,
    Sale,
    pricing_features,
    question_features,
)
from mindshare.models import ModelRegistry
from mindshare.store import (
    attention_daily,
    campaigns,
    creators,
    events,
    exposures,
    feeds,
    items,
    ledger_accounts,
    ledger_balances,
    ledger_transfers,
    market_listings,
    settlements,
    simulation_days,
)

#: Trades a market report lists, newest kept.
RECENT_TRADES = 100


class _Report:
    """``to_dict`` for the report dataclasses: every field, recursively JSON-safe."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe values: ISO dates and times, ``None`` for NaN."""
        return {f.name: _json_safe(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


# --- overview ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverviewReport(_Report):
    """A world's attention per UTC day (gaps filled with 0) and its most-attended items
    and creators; ``people`` … ``events`` are the world's headline counts."""

    world_id: str
    people: int
    creators: int
    items: int
    events: int
    days: list[date]
    attentive_minutes: list[float]
    active_people: list[int]
    top_items: list[str]
    top_item_creators: list[str]
    top_item_minutes: list[float]
    top_creators: list[str]
    top_creator_minutes: list[float]


def overview_report(store: sa.Engine, world_id: str, *, top: int = 10) -> OverviewReport:
    """Attentive minutes and active people per day, and the top items and creators.

    Active people on a day are those with any verified (viewable) attention that day.
    """
    stats = world_stats(store, world_id, top=top)
    per_day = {row.day: row for row in stats.attention_by_day}
    days = _day_range(per_day)
    return OverviewReport(
        world_id=world_id,
        people=stats.people,
        creators=stats.creators,
        items=sum(stats.items_by_kind.values()),
        events=stats.events,
        days=days,
        attentive_minutes=[
            _minutes(per_day[d].attentive_ms) if d in per_day else 0.0 for d in days
        ],
        active_people=[per_day[d].people if d in per_day else 0 for d in days],
        top_items=[row.item_id for row in stats.top_items],
        top_item_creators=[row.creator_id for row in stats.top_items],
        top_item_minutes=[_minutes(row.attentive_ms) for row in stats.top_items],
        top_creators=[row.creator_id for row in stats.top_creators],
        top_creator_minutes=[_minutes(row.attentive_ms) for row in stats.top_creators],
    )


# --- fairness ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FairnessReport(_Report):
    """How fairly served feeds spread exposure over creators, overall and per UTC day.

    Exposure is the position exposure of organic slots (ads are not creators' exposure),
    as in the fair-exposure state the feeds keep. ``creators`` holds every creator with
    an item that can fill an organic slot, most exposed first, the never-shown at 0.
    ``lorenz_population``/``lorenz_share`` is the Lorenz curve over them and ``gini``
    its coefficient (``None`` when nothing was shown). A creator counts as new while
    younger than ``new_creator_days`` at the moment a feed showed them, as the feeds
    decide it. Per day, over the days a feed was served: feeds, exposure, the Gini over
    the creators that existed by the day's end, and the new creators' share.
    """

    world_id: str
    new_creator_days: int
    creators: list[str]
    creator_exposure: list[float]
    lorenz_population: list[float]
    lorenz_share: list[float]
    gini: float | None
    new_creator_share: float | None
    days: list[date]
    daily_feeds: list[int]
    daily_exposure: list[float]
    daily_gini: list[float]
    daily_new_creator_share: list[float]


def fairness_report(
    store: sa.Engine, world_id: str, *, new_creator_days: int | None = None
) -> FairnessReport:
    """Exposure per creator, its Lorenz curve and Gini, and per day Gini and new-creator share.

    ``new_creator_days`` defaults to the world's ``feeds.new_creator_days``.
    """
    with store.connect() as connection:
        world = get_world(connection, world_id)
        if new_creator_days is None:
            new_creator_days = FeedRules.from_world_config(world.config).new_creator_days
        eligible = _organic_creators(connection, world_id)
        shown = _exposure_by_day(connection, world_id, new_creator_days)
        served = _feeds_by_day(connection, world_id)

    totals: dict[str, float] = defaultdict(float)
    for _, creator_id, _, amount in shown:
        totals[creator_id] += amount
    for creator_id in eligible:
        totals.setdefault(creator_id, 0.0)
    ranked = sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))
    values = np.array([amount for _, amount in ranked], dtype=np.float64)
    exposed = bool(values.sum() > 0)
    population, share = lorenz_curve(values) if exposed else (np.zeros(0), np.zeros(0))

    by_day: dict[int, list[tuple[str, bool, float]]] = defaultdict(list)
    for day, creator_id, is_new, amount in shown:
        by_day[day].append((creator_id, is_new, amount))
    days = sorted(set(served) | set(by_day))
    daily_gini: list[float] = []
    daily_share: list[float] = []
    for day in days:
        rows = by_day.get(day, [])
        end_ms = (day + 1) * MS_PER_DAY
        per_creator = {c: 0.0 for c, created_ms in eligible.items() if created_ms < end_ms}
        for creator_id, _, amount in rows:
            per_creator[creator_id] = per_creator.get(creator_id, 0.0) + amount
        daily_gini.append(gini(list(per_creator.values())))
        daily_share.append(
            new_creator_exposure_share([a for _, _, a in rows], [n for _, n, _ in rows])
        )
    return FairnessReport(
        world_id=world_id,
        new_creator_days=new_creator_days,
        creators=[creator_id for creator_id, _ in ranked],
        creator_exposure=values.tolist(),
        lorenz_population=population.tolist(),
        lorenz_share=share.tolist(),
        gini=gini(values) if exposed else None,
        new_creator_share=(
            new_creator_exposure_share([r[3] for r in shown], [r[2] for r in shown])
            if exposed
            else None
        ),
        days=[date_of_day(day) for day in days],
        daily_feeds=[served.get(day, 0) for day in days],
        daily_exposure=[sum(amount for _, _, amount in by_day.get(day, [])) for day in days],
        daily_gini=daily_gini,
        daily_new_creator_share=daily_share,
    )


def _organic_creators(connection: sa.Connection, world_id: str) -> dict[str, int]:
    """Creators with an item that can fill an organic slot (any but an ad), and when they
    were created."""
    rows = connection.execute(
        sa.select(creators.c.creator_id, creators.c.created_ms).where(
            creators.c.world_id == world_id,
            sa.exists().where(
                items.c.world_id == creators.c.world_id,
                items.c.creator_id == creators.c.creator_id,
                items.c.kind != "ad",
            ),
        )
    )
    return {creator_id: int(created_ms) for creator_id, created_ms in rows}


def _exposure_by_day(
    connection: sa.Connection, world_id: str, new_creator_days: int
) -> list[tuple[int, str, bool, float]]:
    """Organic exposure per (UTC day, creator, new when shown), summed in the database."""
    day = exposures.c.served_ms // MS_PER_DAY
    is_new = sa.case(
        (creators.c.created_ms >= exposures.c.served_ms - new_creator_days * MS_PER_DAY, 1),
        else_=0,
    )
    rows = connection.execute(
        sa.select(day, exposures.c.creator_id, is_new, sa.func.sum(exposures.c.exposure))
        .join(
            creators,
            sa.and_(
                creators.c.world_id == exposures.c.world_id,
                creators.c.creator_id == exposures.c.creator_id,
            ),
        )
        .where(exposures.c.world_id == world_id, exposures.c.kind == "organic")
        .group_by(day, exposures.c.creator_id, is_new)
        .order_by(day, exposures.c.creator_id)
    )
    return [
        (int(row_day), creator_id, bool(new), float(total))
        for row_day, creator_id, new, total in rows
    ]


def _feeds_by_day(connection: sa.Connection, world_id: str) -> dict[int, int]:
    """Feeds served per UTC day."""
    day = feeds.c.served_ms // MS_PER_DAY
    rows = connection.execute(
        sa.select(day, sa.func.count())
        .where(feeds.c.world_id == world_id)
        .group_by(day)
        .order_by(day)
    )
    return {int(row_day): int(count) for row_day, count in rows}


# --- economy ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoneyFlows(_Report):
    """Posted money moved from accounts of one kind to accounts of another, per currency."""

    from_kind: list[str]
    to_kind: list[str]
    currency: list[str]
    amount_minor: list[int]
    transfers: list[int]


@dataclass(frozen=True, slots=True)
class PeriodPayouts(_Report):
    """Each settled period, oldest first, with the totals of its statement."""

    period: list[str]
    first_day: list[date]
    last_day: list[date]
    currency: list[str]
    charged_minor: list[int]
    paid_to_creators_minor: list[int]
    held_back_minor: list[int]
    carried_minor: list[int]
    rewarded_minor: list[int]
    quest_rewards_minor: list[int]
    settled_at: list[datetime]


@dataclass(frozen=True, slots=True)
class KindBalances(_Report):
    """Posted balances (credits minus debits) summed over the accounts of each kind."""

    kind: list[str]
    currency: list[str]
    balance_minor: list[int]
    accounts: list[int]


@dataclass(frozen=True, slots=True)
class CampaignSpend(_Report):
    """Each campaign's daily budget against its spend.

    ``spent_on_spend_day_minor`` is the spend the pacing expected on ``spend_day`` (its
    latest day of serving, ``None`` if it never served); ``charged_minor`` is what
    settled periods charged the campaign, all together.
    """

    campaign_id: list[str]
    advertiser_id: list[str]
    currency: list[str]
    active: list[bool]
    daily_budget_minor: list[int]
    spend_day: list[date | None]
    spent_on_spend_day_minor: list[int]
    charged_minor: list[int]


@dataclass(frozen=True, slots=True)
class EconomyReport(_Report):
    """Where money went between account kinds, what each settled period paid, what each
    kind holds, and ad spend against budget per campaign."""

    world_id: str
    flows: MoneyFlows
    payouts: PeriodPayouts
    balances: KindBalances
    ad_spend: CampaignSpend


def economy_report(store: sa.Engine, world_id: str) -> EconomyReport:
    """Flows between account kinds, payouts per settled period, balances by kind, ad spend.

    A flow counts posted money once: plain transfers, and the post of a pending
    transfer (which carries its amount); pending transfers not (yet) posted, and voided
    ones, moved nothing.
    """
    with store.connect() as connection:
        get_world(connection, world_id)
        settled = _settled_statements(connection, world_id)
        return EconomyReport(
            world_id=world_id,
            flows=_money_flows(connection, world_id),
            payouts=_period_payouts(settled),
            balances=_kind_balances(connection, world_id),
            ad_spend=_campaign_spend(connection, world_id, settled),
        )


def _money_flows(connection: sa.Connection, world_id: str) -> MoneyFlows:
    debit = ledger_accounts.alias("debit")
    credit = ledger_accounts.alias("credit")
    journal = ledger_transfers.c
    rows = connection.execute(
        sa.select(
            debit.c.kind,
            credit.c.kind,
            journal.currency,
            _sum(journal.amount),
            sa.func.count(),
        )
        .select_from(ledger_transfers)
        .join(
            debit,
            sa.and_(
                debit.c.world_id == journal.world_id,
                debit.c.account_id == journal.debit_account_id,
            ),
        )
        .join(
            credit,
            sa.and_(
                credit.c.world_id == journal.world_id,
                credit.c.account_id == journal.credit_account_id,
            ),
        )
        .where(journal.world_id == world_id, journal.phase.in_([PLAIN, POST]))
        .group_by(debit.c.kind, credit.c.kind, journal.currency)
        .order_by(journal.currency, debit.c.kind, credit.c.kind)
    ).all()
    return MoneyFlows(
        from_kind=[row[0] for row in rows],
        to_kind=[row[1] for row in rows],
        currency=[row[2] for row in rows],
        amount_minor=[int(row[3]) for row in rows],
        transfers=[int(row[4]) for row in rows],
    )


def _kind_balances(connection: sa.Connection, world_id: str) -> KindBalances:
    balance = ledger_balances.c.credits_posted - ledger_balances.c.debits_posted
    rows = connection.execute(
        sa.select(
            ledger_accounts.c.kind,
            ledger_accounts.c.currency,
            _sum(balance),
            sa.func.count(),
        )
        .join(ledger_balances, ledger_balances.c.account_key == ledger_accounts.c.account_key)
        .where(ledger_accounts.c.world_id == world_id)
        .group_by(ledger_accounts.c.kind, ledger_accounts.c.currency)
        .order_by(ledger_accounts.c.currency, ledger_accounts.c.kind)
    ).all()
    return KindBalances(
        kind=[row[0] for row in rows],
        currency=[row[1] for row in rows],
        balance_minor=[int(row[2]) for row in rows],
        accounts=[int(row[3]) for row in rows],
    )


def _settled_statements(connection: sa.Connection, world_id: str) -> list[dict[str, Any]]:
    """Settled periods, oldest first: their days, currency, totals and charges (the
    statements' other sections, payout lines and postings, stay in the database)."""
    statement = settlements.c.statement
    rows = connection.execute(
        sa.select(
            settlements.c.period,
            settlements.c.first_day,
            settlements.c.last_day,
            settlements.c.settled_ms,
            statement["currency"].as_string(),
            statement["totals"],
            statement["charges"],
        )
        .where(
            settlements.c.world_id == world_id,
            settlements.c.status == "settled",
            settlements.c.settled_ms.isnot(None),
        )
        .order_by(settlements.c.first_day)
    )
    return [
        {
            "period": period,
            "first_day": int(first_day),
            "last_day": int(last_day),
            "settled_ms": int(settled_ms),
            "currency": currency,
            "totals": totals or {},
            "charges": charges or [],
        }
        for period, first_day, last_day, settled_ms, currency, totals, charges in rows
    ]


def _period_payouts(settled: Sequence[Mapping[str, Any]]) -> PeriodPayouts:
    def total(name: str) -> list[int]:
        return [int(row["totals"].get(name, 0)) for row in settled]

    return PeriodPayouts(
        period=[row["period"] for row in settled],
        first_day=[date_of_day(row["first_day"]) for row in settled],
        last_day=[date_of_day(row["last_day"]) for row in settled],
        currency=[row["currency"] for row in settled],
        charged_minor=total("charged_minor"),
        paid_to_creators_minor=total("paid_to_creators_minor"),
        held_back_minor=total("held_back_minor"),
        carried_minor=total("carried_minor"),
        rewarded_minor=total("rewarded_minor"),
        quest_rewards_minor=total("quest_rewards_minor"),
        settled_at=[from_epoch_ms(row["settled_ms"]) for row in settled],
    )


def _campaign_spend(
    connection: sa.Connection, world_id: str, settled: Sequence[Mapping[str, Any]]
) -> CampaignSpend:
    charged: dict[str, int] = defaultdict(int)
    for row in settled:
        for line in row["charges"]:
            charged[str(line["campaign_id"])] += int(line["charged_minor"])
    rows = connection.execute(
        sa.select(
            campaigns.c.campaign_id,
            campaigns.c.advertiser_id,
            campaigns.c.currency,
            campaigns.c.active,
            campaigns.c.budget_minor,
            campaigns.c.spend_day,
            campaigns.c.spent_minor,
        )
        .where(campaigns.c.world_id == world_id)
        .order_by(campaigns.c.campaign_id)
    ).all()
    return CampaignSpend(
        campaign_id=[row.campaign_id for row in rows],
        advertiser_id=[row.advertiser_id for row in rows],
        currency=[row.currency for row in rows],
        active=[bool(row.active) for row in rows],
        daily_budget_minor=[int(row.budget_minor) for row in rows],
        spend_day=[None if row.spend_day is None else date_of_day(row.spend_day) for row in rows],
        spent_on_spend_day_minor=[
            0 if row.spend_day is None else int(row.spent_minor) for row in rows
        ],
        charged_minor=[charged.get(row.campaign_id, 0) for row in rows],
    )


# --- market -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListingTable(_Report):
    """Open listings, soonest to close first, each with a suggested price where the
    world's sales allow a price model (``None`` elsewhere; ``notes`` says why)."""

    listing_id: list[str]
    item_id: list[str]
    kind: list[str]
    seller_id: list[str]
    creator_id: list[str]
    currency: list[str]
    asking_minor: list[int]
    high_bid_minor: list[int | None]
    bids: list[int]
    closes_at: list[datetime]
    suggested_minor: list[int | None]


@dataclass(frozen=True, slots=True)
class TradeTable(_Report):
    """Settled sales, oldest first (the newest ``RECENT_TRADES`` of them)."""

    listing_id: list[str]
    item_id: list[str]
    kind: list[str]
    seller_id: list[str]
    buyer_id: list[str]
    currency: list[str]
    price_minor: list[int]
    settled_at: list[datetime]


@dataclass(frozen=True, slots=True)
class MarketReport(_Report):
    """The market at ``as_of``: open listings with suggested prices, recent trades, and
    notes on what could not be priced; ``sales`` is how many sales the world has had."""

    world_id: str
    as_of: datetime
    listings: ListingTable
    trades: TradeTable
    sales: int
    notes: list[str]


def market_report(
    store: sa.Engine, world_id: str, *, now_ms: int, trades: int = RECENT_TRADES
) -> MarketReport:
    """Open listings, the ``trades`` most recent sales, and a suggested price per listed
    asset from a ``PriceModel`` fitted on the world's sales in the listing's currency."""
    listed = open_listings(store, world_id, now_ms=now_ms)
    with store.connect() as connection:
        recent = _recent_trades(connection, world_id, trades)
        sales = connection.execute(
            sa.select(sa.func.count())
            .select_from(market_listings)
            .where(market_listings.c.world_id == world_id, market_listings.c.settled_ms.isnot(None))
        ).scalar_one()
        notes: list[str] = []
        suggested: dict[str, int] = {}
        for currency in sorted({entry.listing.currency for entry in listed}):
            wanted = [e.listing.item_id for e in listed if e.listing.currency == currency]
            suggested |= _suggest_prices(
                connection, world_id, currency, wanted, day=day_of(now_ms), notes=notes
            )
    return MarketReport(
        world_id=world_id,
        as_of=from_epoch_ms(now_ms),
        listings=ListingTable(
            listing_id=[e.listing.listing_id for e in listed],
            item_id=[e.listing.item_id for e in listed],
            kind=[e.listing.kind for e in listed],
            seller_id=[e.listing.seller_id for e in listed],
            creator_id=[e.listing.creator_id for e in listed],
            currency=[e.listing.currency for e in listed],
            asking_minor=[e.asking_minor for e in listed],
            high_bid_minor=[
                None if e.high_bid is None else e.high_bid.amount_minor for e in listed
            ],
            bids=[e.bids for e in listed],
            closes_at=[from_epoch_ms(e.closes_ms) for e in listed],
            suggested_minor=[suggested.get(e.listing.item_id) for e in listed],
        ),
        trades=recent,
        sales=int(sales),
        notes=notes,
    )


def _recent_trades(connection: sa.Connection, world_id: str, limit: int) -> TradeTable:
    table = market_listings.c
    rows = connection.execute(
        sa.select(
            table.listing_id,
            table.item_id,
            table.kind,
            table.seller_id,
            table.buyer_id,
            table.currency,
            table.price_minor,
            table.settled_ms,
        )
        .where(table.world_id == world_id, table.settled_ms.isnot(None))
        .order_by(table.settled_ms.desc(), table.listing_id.desc())
        .limit(limit)
    ).all()[::-1]
    return TradeTable(
        listing_id=[row.listing_id for row in rows],
        item_id=[row.item_id for row in rows],
        kind=[row.kind for row in rows],
        seller_id=[row.seller_id for row in rows],
        buyer_id=[row.buyer_id for row in rows],
        currency=[row.currency for row in rows],
        price_minor=[int(row.price_minor) for row in rows],
        settled_at=[from_epoch_ms(int(row.settled_ms)) for row in rows],
    )


def _suggest_prices(
    connection: sa.Connection,
    world_id: str,
    currency: str,
    item_ids: Sequence[str],
    *,
    day: int,
    notes: list[str],
) -> dict[str, int]:
    """Suggested prices for ``item_ids`` on ``day`` from the world's ``currency`` sales, or
    none, with a note, where the sales are too few or an asset has no list price."""
    assets = _asset_rows(connection, world_id)
    unpriced = sorted(set(item_ids) - assets.keys())
    if unpriced:
        notes.append(f"no suggested price for {', '.join(unpriced)}: no list price to anchor it")
    wanted = [item_id for item_id in item_ids if item_id in assets]
    if not wanted:
        return {}
    sold = connection.execute(
        sa.select(
            market_listings.c.item_id,
            market_listings.c.settled_ms,
            market_listings.c.price_minor,
            market_listings.c.seller_id,
            market_listings.c.buyer_id,
        )
        .where(
            market_listings.c.world_id == world_id,
            market_listings.c.currency == currency,
            market_listings.c.settled_ms.isnot(None),
        )
        .order_by(market_listings.c.settled_ms)
    ).all()
    daily = _asset_attention(connection, world_id)
    first_days = [day_of(int(row.settled_ms)) for row in sold] + [d for d, _, _ in daily]
    origin = min(first_days, default=day)
    sales = [
        Sale(
            row.item_id,
            day_of(int(row.settled_ms)) - origin,
            int(row.settled_ms),
            int(row.price_minor),
            row.seller_id,
            row.buyer_id,
        )
        for row in sold
        if row.item_id in assets
    ]
    attention: dict[str, list[int]] = defaultdict(list)
    for row_day, item_id, total in daily:
        series = attention[item_id]
        series.extend([0] * (row_day - origin + 1 - len(series)))
        series[row_day - origin] = total
    features = pricing_features(sales, attention, list(assets.values()))
    # The trees cannot bin a feature no sale has a value for (scikit-learn raises).
    unknown = [
        name
        for name, column in zip(features.names, features.matrix.T, strict=True)
        if np.isnan(column).all()
    ]
    if len(features) >= 2 and unknown:
        notes.append(
            f"no suggested prices in {currency}: no sale yet has {', '.join(unknown)}, "
            "which the price model needs at least once"
        )
        return {}
    try:
        model = PriceModel().fit(features)
    except NotEnoughSales:
        notes.append(
            f"{len(sales)} sale(s) in {currency}: too few to fit a price model, "
            "so no suggested prices"
        )
        return {}
    question = question_features(
        wanted,
        day=day - origin,
        sales=sales,
        daily_attention=attention,
        assets=list(assets.values()),
    )
    return dict(zip(wanted, (int(p) for p in model.predict(question)), strict=True))


def _asset_rows(connection: sa.Connection, world_id: str) -> dict[str, AssetRow]:
    """The world's priced assets as the price model sees them: creator, list price, the
    creator's followers (follow events on their items) and topic (first tag)."""
    follows = (
        sa.select(items.c.creator_id, sa.func.count().label("followers"))
        .join(
            events,
            sa.and_(events.c.world_id == items.c.world_id, events.c.item_id == items.c.item_id),
        )
        .where(items.c.world_id == world_id, events.c.type == "follow")
        .group_by(items.c.creator_id)
        .subquery()
    )
    rows = connection.execute(
        sa.select(
            items.c.item_id,
            items.c.creator_id,
            items.c.price_minor,
            items.c.tags,
            sa.func.coalesce(follows.c.followers, 0),
        )
        .outerjoin(follows, follows.c.creator_id == items.c.creator_id)
        .where(
            items.c.world_id == world_id,
            items.c.kind == "asset",
            items.c.price_minor >= 1,
        )
        .order_by(items.c.item_id)
    ).all()
    return {
        item_id: AssetRow(
            item_id=item_id,
            creator_id=creator_id,
            list_price_minor=int(price),
            creator_followers=int(followers),
            topic=str(tags[0]) if tags else "",
        )
        for item_id, creator_id, price, tags, followers in rows
    }


def _asset_attention(connection: sa.Connection, world_id: str) -> list[tuple[int, str, int]]:
    """Attentive ms per (UTC day, asset), summed in the database."""
    table = attention_daily.c
    rows = connection.execute(
        sa.select(table.day, table.item_id, _sum(table.attentive_ms))
        .join(items, sa.and_(items.c.world_id == table.world_id, items.c.item_id == table.item_id))
        .where(table.world_id == world_id, items.c.kind == "asset")
        .group_by(table.day, table.item_id)
        .order_by(table.day, table.item_id)
    )
    return [(int(day), item_id, int(total)) for day, item_id, total in rows]


# --- models -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelsReport(_Report):
    """Every registered model version, oldest first per model, with its validation
    metrics (``metrics[name][i]`` for version ``labels[i]``, ``None`` where it has none)
    and which version serves the world (``active``, ``None`` when none does)."""

    world_id: str
    active: str | None
    labels: list[str]
    models: list[str]
    versions: list[int]
    datasets: list[str]
    created_at: list[str]
    train_s: list[float]
    is_active: list[bool]
    metrics: dict[str, list[float | None]]


def models_report(registry: ModelRegistry, world_id: str) -> ModelsReport:
    """Metrics, training time and creation time of the world's versions, and its active one."""
    versions = registry.world_versions(world_id)
    chosen = registry.active(world_id)
    active = None if chosen is None else f"{chosen.model}@{chosen.version}"
    labels = [f"{v.model}@{v.version}" for v in versions]
    names = sorted({name for v in versions for name in v.metrics})
    return ModelsReport(
        world_id=world_id,
        active=active,
        labels=labels,
        models=[v.model for v in versions],
        versions=[v.version for v in versions],
        datasets=[v.dataset for v in versions],
        created_at=[v.created_at for v in versions],
        train_s=[float(v.train_s) for v in versions],
        is_active=[label == active for label in labels],
        metrics={
            name: [
                None if v.metrics.get(name) is None else float(v.metrics[name]) for v in versions
            ]
            for name in names
        },
    )


# --- simulation -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimulationReport(_Report):
    """The per-day metrics a simulation recorded for the world (``mindshare simulate``):
    ``metrics[name][i]`` is metric ``name`` on ``days[i]`` (``None`` where undefined)."""

    world_id: str
    policy: str | None
    seed: int | None
    days: list[date]
    metrics: dict[str, list[float | None]]


def simulation_report(store: sa.Engine, world_id: str) -> SimulationReport:
    """What each simulated day did to the world, oldest first; empty for a world never
    simulated."""
    with store.connect() as connection:
        get_world(connection, world_id)
        rows = connection.execute(
            sa.select(
                simulation_days.c.day,
                simulation_days.c.policy,
                simulation_days.c.seed,
                simulation_days.c.metrics,
            )
            .where(simulation_days.c.world_id == world_id)
            .order_by(simulation_days.c.day)
        ).all()
    names = [
        name
        for name, value in (rows[0].metrics.items() if rows else ())
        if isinstance(value, int | float) or value is None
    ]
    return SimulationReport(
        world_id=world_id,
        policy=rows[-1].policy if rows else None,
        seed=rows[-1].seed if rows else None,
        days=[date_of_day(row.day) for row in rows],
        metrics={
            name: [
                None if row.metrics.get(name) is None else float(row.metrics[name]) for row in rows
            ]
            for name in names
        },
    )


# --- helpers ----------------------------------------------------------------------------


def _minutes(attentive_ms: int) -> float:
    return attentive_ms / MS_PER_MINUTE


def _day_range(days: Iterable[date]) -> list[date]:
    """Every day from the first to the last of ``days``, so charts show quiet days as 0."""
    present = sorted(days)
    if not present:
        return []
    span = (present[-1] - present[0]).days
    return [present[0] + timedelta(days=n) for n in range(span + 1)]


def _sum(column: sa.ColumnElement[Any]) -> sa.Cast[int]:
    """SUM as a BIGINT: PostgreSQL sums BIGINT into NUMERIC, which would come back as Decimal."""
    return sa.cast(sa.func.sum(column), sa.BigInteger)


def _json_safe(value: Any) -> Any:
    if isinstance(value, _Report):
        return value.to_dict()
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value
