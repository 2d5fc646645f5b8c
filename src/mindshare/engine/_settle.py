"""Settle a period: ad charges, creator payouts, attention rewards and quests, in one batch."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mindshare.core import to_epoch_ms, utc_now
from mindshare.economy import (
    EconomyRules,
    Posting,
    advertiser_account,
    charge_caps,
    creator_pool_account,
    evaluate_quests,
    plan_payouts,
    pool_amount,
    reward_ad_attention,
    reward_pool_account,
    reward_pool_amount,
    settle_ad_charges,
    verified_ad_attention,
)
from mindshare.economy._period import Period, parse_period
from mindshare.economy._store import (
    ad_impressions,
    campaign_budgets,
    creator_engagement,
    find_settlement,
    mark_settled,
    postings_from_json,
    postings_to_json,
    quest_attention,
    save_planned_settlement,
    unverified_people,
)
from mindshare.engine._accounts import post_economy_transfers
from mindshare.events import get_world
from mindshare.ledger import AccountNotFound, Ledger


@dataclass(frozen=True, slots=True)
class Settlement:
    """A settled period: its statement (section → rows) and what the ledger did with it."""

    world_id: str
    period: str
    created: int
    already_there: int
    statement: dict[str, Any]

    @property
    def rerun(self) -> bool:
        """Every transfer was already in the ledger: the period had been settled."""
        return self.created == 0 and self.already_there > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "world_id": self.world_id,
            "period": self.period,
            "transfers_created": self.created,
            "transfers_already_there": self.already_there,
            "statement": {k: v for k, v in self.statement.items() if k != "postings"},
        }


def settle_period(
    store: sa.Engine, world_id: str, period: str | Period, *, now_ms: int | None = None
) -> Settlement:
    """Charge advertisers, pay creators, reward people for ``period``, exactly once.

    The plan is computed from the store and the ledger's balances, recorded with its
    transfers, and only then sent to the ledger as one linked batch (all or nothing).
    Settling the same period again resends the recorded transfers, which the idempotent
    ledger finds already made; a period overlapping another is ``PeriodOverlap``.
    """
    span = period if isinstance(period, Period) else parse_period(period)
    now = to_epoch_ms(utc_now()) if now_ms is None else now_ms
    ledger = Ledger(store, world_id)
    with store.begin() as connection:
        world = get_world(connection, world_id)
        rules = EconomyRules.from_world_config(world.config)
        stored = find_settlement(connection, world_id, span)
        if stored is None:
            statement = _plan(connection, ledger, world_id, span, rules)
            save_planned_settlement(connection, world_id, span, statement, now_ms=now)
        else:
            statement = stored["statement"]
    postings = postings_from_json(statement["postings"])
    results = post_economy_transfers(ledger, postings, linked=True)
    with store.begin() as connection:
        mark_settled(connection, world_id, span, now_ms=now)
    created = sum(1 for r in results if r.status == "created")
    return Settlement(world_id, span.label, created, len(results) - created, statement)


def _plan(
    connection: sa.Connection, ledger: Ledger, world_id: str, span: Period, rules: EconomyRules
) -> dict[str, Any]:
    """Every plan of the period, and the postings in the order the ledger must make them."""
    currency, label = rules.currency, span.label
    impressions = ad_impressions(connection, world_id, span)
    budgets = campaign_budgets(connection, world_id)
    charged = [impression.campaign_id for impression in impressions]
    advertisers = {budgets[campaign_id][0] for campaign_id in charged}
    caps = charge_caps(
        budgets,
        charged,
        days=span.days,
        available_minor={
            advertiser: _available(ledger, advertiser_account(advertiser, currency))
            for advertiser in advertisers
        },
    )
    charges = settle_ad_charges(impressions, caps, currency=currency, period=label)
    revenue = charges.ad_revenue_minor

    creator_funding = pool_amount(rules, revenue, period=label)
    pool_balance = _available(ledger, creator_pool_account(currency)) + creator_funding.total_minor
    unverified = unverified_people(connection, world_id)
    payouts = plan_payouts(
        pool_balance,
        creator_engagement(connection, world_id, span, unverified),
        minimum_payout_minor=rules.minimum_payout_minor,
        holdback_unverified=rules.holdback_unverified,
        currency=currency,
        period=label,
    )

    reward_funding = reward_pool_amount(rules, revenue, period=label)
    rewards = reward_ad_attention(
        reward_funding.total_minor,
        verified_ad_attention(impressions, unverified),
        currency=currency,
        period=label,
    )
    reward_left = (
        _available(ledger, reward_pool_account(currency))
        + reward_funding.total_minor
        - rewards.paid_minor
    )
    history = max((quest.window_days for quest in rules.quests), default=0)
    attention = [
        row
        for row in quest_attention(connection, world_id, span, history)
        if row.user_id not in unverified
    ]
    quests = evaluate_quests(
        rules.quests,
        attention,
        period_start_day=span.first_day,
        period_end_day=span.last_day + 1,
        currency=currency,
        period=label,
        available_minor=reward_left,
    )
    postings: list[Posting] = [
        *charges.postings,
        *creator_funding.postings,
        *payouts.postings,
        *reward_funding.postings,
        *rewards.postings,
        *quests.postings,
    ]
    return {
        "period": label,
        "currency": currency,
        "ad_revenue_minor": revenue,
        "charges": charges.statement_rows(),
        "creator_pool": creator_funding.statement_rows(),
        "payouts": payouts.statement_rows(),
        "reward_pool": reward_funding.statement_rows(),
        "rewards": rewards.statement_rows(),
        "quests": quests.statement_rows(),
        "totals": {
            "charged_minor": revenue,
            "creator_pool_minor": pool_balance,
            "paid_to_creators_minor": payouts.paid_minor,
            "held_back_minor": payouts.held_back_minor,
            "carried_minor": payouts.carried_minor,
            "rewarded_minor": rewards.paid_minor,
            "quest_rewards_minor": quests.total_minor,
        },
        "postings": postings_to_json(postings),
    }


def _available(ledger: Ledger, account_id: str) -> int:
    """What an account can still be debited; 0 for one not yet opened."""
    try:
        return ledger.balance(account_id).available
    except AccountNotFound:
        return 0
