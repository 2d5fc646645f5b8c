"""What the economy reads from the store for a period, and its record of settled periods."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mindshare.core import MS_PER_DAY, PeriodOverlap
from mindshare.economy._accounts import Posting, TransferCode
from mindshare.economy._charges import AdImpression
from mindshare.economy._payouts import CreatorEngagement
from mindshare.economy._period import Period
from mindshare.economy._quests import QuestAttention
from mindshare.store import attention_daily, campaigns, exposures, items, people, settlements


def _not_an_ad(item_id: sa.ColumnElement[str], world_id: str) -> sa.ColumnElement[bool]:
    """Attention to ads is the advertiser's, paid for by charges: not a creator's to earn."""
    return item_id.not_in(
        sa.select(items.c.item_id).where(items.c.world_id == world_id, items.c.kind == "ad")
    )


def unverified_people(connection: sa.Connection, world_id: str) -> set[str]:
    """People whose attributes say ``"verified": false``: their attention is unverified."""
    rows = connection.execute(
        sa.select(people.c.user_id, people.c.attributes).where(people.c.world_id == world_id)
    )
    return {
        user_id
        for user_id, attributes in rows
        if isinstance(attributes, dict) and attributes.get("verified") is False
    }


def creator_engagement(
    connection: sa.Connection, world_id: str, period: Period, unverified: set[str]
) -> list[CreatorEngagement]:
    """Each creator's attentive ms in the period (ads aside), split by verification."""
    table = attention_daily.c
    rows = connection.execute(
        sa.select(table.creator_id, table.user_id, sa.func.sum(table.attentive_ms))
        .where(
            table.world_id == world_id,
            table.day.between(period.first_day, period.last_day),
            _not_an_ad(table.item_id, world_id),
        )
        .group_by(table.creator_id, table.user_id)
    )
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for creator_id, user_id, attentive in rows:
        totals[creator_id][1 if user_id in unverified else 0] += int(attentive or 0)
    return [
        CreatorEngagement(creator_id, verified, unverified_ms)
        for creator_id, (verified, unverified_ms) in sorted(totals.items())
        if verified + unverified_ms > 0
    ]


def quest_attention(
    connection: sa.Connection, world_id: str, period: Period, history_days: int
) -> list[QuestAttention]:
    """Verified attention by person, creator and day, from ``history_days`` before the period."""
    table = attention_daily.c
    rows = connection.execute(
        sa.select(table.user_id, table.creator_id, table.day, sa.func.sum(table.attentive_ms))
        .where(
            table.world_id == world_id,
            table.day.between(period.first_day - history_days, period.last_day),
            _not_an_ad(table.item_id, world_id),
        )
        .group_by(table.user_id, table.creator_id, table.day)
    )
    return [QuestAttention(u, c, int(d), int(ms or 0)) for u, c, d, ms in rows]


def ad_impressions(connection: sa.Connection, world_id: str, period: Period) -> list[AdImpression]:
    """Ads served in the period with the verified attention they got, one row per
    campaign, person, ad and day: the day's attentive ms on the ad, at the auction's last
    price per attentive second that day."""
    start_ms, end_ms = period.first_day * MS_PER_DAY, (period.last_day + 1) * MS_PER_DAY
    served = connection.execute(
        sa.select(
            exposures.c.campaign_id,
            campaigns.c.advertiser_id,
            exposures.c.user_id,
            exposures.c.item_id,
            exposures.c.served_ms,
            exposures.c.price_per_second,
        )
        .join(
            campaigns,
            sa.and_(
                campaigns.c.world_id == exposures.c.world_id,
                campaigns.c.campaign_id == exposures.c.campaign_id,
            ),
        )
        .where(
            exposures.c.world_id == world_id,
            exposures.c.campaign_id.is_not(None),
            exposures.c.served_ms >= start_ms,
            exposures.c.served_ms < end_ms,
        )
        .order_by(exposures.c.served_ms, exposures.c.seq)
    )
    latest: dict[tuple[str, str, str, int], tuple[str, float]] = {}
    for campaign_id, advertiser_id, user_id, item_id, served_ms, price in served:
        latest[(campaign_id, user_id, item_id, served_ms // MS_PER_DAY)] = (
            advertiser_id,
            float(price or 0.0),
        )
    if not latest:
        return []
    items = sorted({key[2] for key in latest})
    table = attention_daily.c
    attention = {
        (user_id, item_id, day): int(ms)
        for user_id, item_id, day, ms in connection.execute(
            sa.select(table.user_id, table.item_id, table.day, table.attentive_ms).where(
                table.world_id == world_id,
                table.item_id.in_(items),
                table.day.between(period.first_day, period.last_day),
            )
        )
    }
    return [
        AdImpression(
            campaign_id,
            advertiser_id,
            user_id,
            item_id,
            price,
            attention.get((user_id, item_id, day), 0),
        )
        for (campaign_id, user_id, item_id, day), (advertiser_id, price) in sorted(latest.items())
    ]


def campaign_budgets(connection: sa.Connection, world_id: str) -> dict[str, tuple[str, int]]:
    """Every campaign's advertiser and daily budget, active or not (charges outlive them)."""
    rows = connection.execute(
        sa.select(
            campaigns.c.campaign_id, campaigns.c.advertiser_id, campaigns.c.budget_minor
        ).where(campaigns.c.world_id == world_id)
    )
    return {campaign_id: (advertiser, int(budget)) for campaign_id, advertiser, budget in rows}


def find_settlement(
    connection: sa.Connection, world_id: str, period: Period
) -> dict[str, Any] | None:
    """The stored settlement of exactly ``period``, or None; PeriodOverlap if another overlaps."""
    rows = connection.execute(
        sa.select(settlements).where(
            settlements.c.world_id == world_id,
            settlements.c.first_day <= period.last_day,
            settlements.c.last_day >= period.first_day,
        )
    ).mappings()
    for row in rows:
        if (row["first_day"], row["last_day"]) == (period.first_day, period.last_day):
            return dict(row)
        raise PeriodOverlap(
            f"period {period.label} overlaps {row['period']}, already {row['status']} in "
            f"world {world_id!r}: a day is settled once"
        )
    return None


def save_planned_settlement(
    connection: sa.Connection,
    world_id: str,
    period: Period,
    statement: dict[str, Any],
    *,
    now_ms: int,
) -> None:
    """Record the period's plan (statement and transfers) before any transfer is made."""
    connection.execute(
        settlements.insert().values(
            world_id=world_id,
            first_day=period.first_day,
            last_day=period.last_day,
            period=period.label,
            status="planned",
            statement=statement,
            planned_ms=now_ms,
            settled_ms=None,
        )
    )


def mark_settled(connection: sa.Connection, world_id: str, period: Period, *, now_ms: int) -> None:
    """The period's transfers are all in the ledger."""
    connection.execute(
        settlements.update()
        .where(settlements.c.world_id == world_id, settlements.c.first_day == period.first_day)
        .values(status="settled", settled_ms=now_ms)
    )


def postings_to_json(postings: Sequence[Posting]) -> list[dict[str, Any]]:
    """Postings as stored in a settlement's statement."""
    return [
        {
            "transfer_id": p.transfer_id,
            "debit_account_id": p.debit_account_id,
            "credit_account_id": p.credit_account_id,
            "amount": p.amount,
            "code": int(p.code),
            "user_data": p.user_data,
        }
        for p in postings
    ]


def postings_from_json(rows: Sequence[dict[str, Any]]) -> list[Posting]:
    """The postings a stored statement asked for."""
    return [
        Posting(
            transfer_id=row["transfer_id"],
            debit_account_id=row["debit_account_id"],
            credit_account_id=row["credit_account_id"],
            amount=int(row["amount"]),
            code=TransferCode(int(row["code"])),
            user_data=row["user_data"],
        )
        for row in rows
    ]
