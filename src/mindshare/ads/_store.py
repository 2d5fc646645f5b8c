"""Campaigns and creatives in the store, and each campaign's pacing through its day."""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from mindshare.ads._campaigns import Campaign, Creative, Targeting
from mindshare.ads._pacing import PacingState
from mindshare.core import MS_PER_DAY, InputError, NotFound, day_of, is_currency_code
from mindshare.store import campaigns, creatives, items, worlds


@dataclass(frozen=True, slots=True)
class StoredCampaign:
    """A campaign as stored: its terms, currency, and where its pacing stands today."""

    campaign: Campaign
    currency: str
    pacing: PacingState


def save_campaign(
    connection: sa.Connection,
    world_id: str,
    campaign: Campaign,
    *,
    currency: str,
    creative_ids: Sequence[str],
    now_ms: int,
) -> None:
    """Create or replace a campaign and the ads it shows (items of kind ``ad``).

    Replacing keeps the day's spend and pacing multiplier, so a budget raised at noon
    does not restart the day.
    """
    if not is_currency_code(currency):
        raise InputError(f"campaign {campaign.campaign_id!r}: {currency!r} is not a currency code")
    if (
        connection.execute(sa.select(worlds.c.world_id).filter_by(world_id=world_id)).first()
        is None
    ):
        raise NotFound(f"world {world_id!r} does not exist")
    if not creative_ids:
        raise InputError(f"campaign {campaign.campaign_id!r} names no creatives")
    kinds = dict(
        connection.execute(
            sa.select(items.c.item_id, items.c.kind).where(
                items.c.world_id == world_id, items.c.item_id.in_(list(creative_ids))
            )
        ).all()
    )
    for item_id in creative_ids:
        if item_id not in kinds:
            raise NotFound(f"creative {item_id!r} is not an item of world {world_id!r}")
        if kinds[item_id] != "ad":
            raise InputError(
                f"creative {item_id!r} is an item of kind {kinds[item_id]!r}, not 'ad'"
            )
    targeting = campaign.targeting
    values = {
        "advertiser_id": campaign.advertiser_id,
        "budget_minor": campaign.budget_minor,
        "currency": currency,
        "bid_per_second": campaign.bid_per_second,
        "bid_per_click": campaign.bid_per_click,
        "targeting": {
            "require_all": sorted(targeting.require_all),
            "require_any": sorted(targeting.require_any),
            "exclude": sorted(targeting.exclude),
        },
        "active": True,
        "updated_ms": now_ms,
    }
    key = {"world_id": world_id, "campaign_id": campaign.campaign_id}
    updated = connection.execute(campaigns.update().filter_by(**key).values(**values))
    if updated.rowcount == 0:
        connection.execute(campaigns.insert().values(**key, **values, created_ms=now_ms))
    connection.execute(
        creatives.delete().where(
            creatives.c.world_id == world_id, creatives.c.campaign_id == campaign.campaign_id
        )
    )
    connection.execute(
        creatives.insert(),
        [
            {"world_id": world_id, "item_id": item_id, "campaign_id": campaign.campaign_id}
            for item_id in dict.fromkeys(creative_ids)
        ],
    )


def load_campaigns(
    connection: sa.Connection, world_id: str, *, now_ms: int
) -> tuple[list[StoredCampaign], list[Creative]]:
    """The world's active campaigns with today's pacing, and the creatives they show.

    A campaign whose stored spend belongs to an earlier day starts today afresh: spend
    0, multiplier 1, nothing elapsed. Advance the state to ``now_ms`` with
    ``update_pacing`` when recording a spend.
    """
    today = day_of(now_ms)
    stored: list[StoredCampaign] = []
    for row in connection.execute(
        sa.select(campaigns)
        .where(campaigns.c.world_id == world_id, campaigns.c.active.is_(True))
        .order_by(campaigns.c.campaign_id)
    ).mappings():
        targeting = row["targeting"] or {}
        campaign = Campaign(
            campaign_id=row["campaign_id"],
            advertiser_id=row["advertiser_id"],
            budget_minor=int(row["budget_minor"]),
            bid_per_second=row["bid_per_second"],
            bid_per_click=row["bid_per_click"],
            targeting=Targeting(
                require_all=frozenset(targeting.get("require_all", ())),
                require_any=frozenset(targeting.get("require_any", ())),
                exclude=frozenset(targeting.get("exclude", ())),
            ),
        )
        same_day = row["spend_day"] == today and row["pacing_updated_ms"] is not None
        pacing = PacingState(budget_minor=campaign.budget_minor)
        if same_day:
            pacing = PacingState(
                budget_minor=campaign.budget_minor,
                spent_minor=min(int(row["spent_minor"]), campaign.budget_minor),
                multiplier=float(row["pacing_multiplier"]),
                elapsed_fraction=min(day_fraction(int(row["pacing_updated_ms"])), 1.0),
            )
        stored.append(StoredCampaign(campaign, row["currency"], pacing))
    active = {entry.campaign.campaign_id for entry in stored}
    shown = [
        Creative(creative_id=item_id, campaign_id=campaign_id)
        for item_id, campaign_id in connection.execute(
            sa.select(creatives.c.item_id, creatives.c.campaign_id)
            .where(creatives.c.world_id == world_id)
            .order_by(creatives.c.item_id)
        )
        if campaign_id in active
    ]
    return stored, shown


def day_fraction(epoch_ms: int) -> float:
    """Fraction of its UTC day that has passed at an instant, in [0, 1)."""
    return (epoch_ms % MS_PER_DAY) / MS_PER_DAY


def record_pacing(
    connection: sa.Connection, world_id: str, campaign_id: str, state: PacingState, *, now_ms: int
) -> None:
    """Store a campaign's spend and multiplier for today after a feed's auction."""
    connection.execute(
        campaigns.update()
        .filter_by(world_id=world_id, campaign_id=campaign_id)
        .values(
            spend_day=day_of(now_ms),
            spent_minor=state.spent_minor,
            pacing_multiplier=state.multiplier,
            pacing_updated_ms=now_ms,
        )
    )
