"""engine.settle_period: charges → creator pool → payouts → rewards → quests, once per period.

The world: creators c1 and c2, an advertiser acme with ad ad1, people u1, u2 and u3
(u3 unverified). Attention is written straight into ``attention_daily`` so every amount
below is computed by hand from round numbers.
"""

import pytest
import sqlalchemy as sa

from mindshare import engine
from mindshare.core import InputError, NotFound, PeriodOverlap
from mindshare.economy import fund_advertiser, parse_period
from mindshare.events import RecordKind, create_world
from mindshare.ledger import Account, Ledger, Transfer
from mindshare.store import attention_daily, campaigns, exposures, ledger_transfers

PERIOD = "2026-03-02..2026-03-03"
DAY = parse_period(PERIOD).first_day
DAY_MS = 86_400_000
CONFIG = {
    "economy": {
        "currency": "USD",
        "creator_pool_ad_share": 0.5,
        "reward_ad_share": 0.2,
        "emission_minor": 1_000,
        "minimum_payout_minor": 50,
        "holdback_unverified": 1.0,
        "quests": [
            {
                "id": "explorer",
                "kind": "new_creator_attention",
                "threshold": 60_000,
                "reward_minor": 10,
                "window_days": 7,
            }
        ],
    }
}


def attention(user: str, item: str, creator: str, day: int, ms: int) -> dict[str, object]:
    return {
        "world_id": "w",
        "day": day,
        "user_id": user,
        "item_id": item,
        "creator_id": creator,
        "attentive_ms": ms,
        "views": 1,
    }


def build_world(database: sa.Engine, *, fund_advertiser_minor: int = 1_000) -> Ledger:
    with database.begin() as connection:
        create_world(connection, "w", config=CONFIG, now_ms=0)
    engine.ingest_world(
        database,
        "w",
        {
            RecordKind.CREATORS: [{"creator_id": c} for c in ("c1", "c2", "acme")],
            RecordKind.PEOPLE: [
                {"user_id": "u1"},
                {"user_id": "u2"},
                {"user_id": "u3", "attributes": {"verified": False}},
            ],
            RecordKind.ITEMS: [
                {"item_id": "i1", "kind": "content", "creator_id": "c1"},
                {"item_id": "i2", "kind": "content", "creator_id": "c2"},
                {"item_id": "ad1", "kind": "ad", "creator_id": "acme"},
            ],
        },
    )
    with database.begin() as connection:
        connection.execute(
            attention_daily.insert(),
            [
                attention("u1", "i1", "c1", DAY, 300_000),
                attention("u2", "i2", "c2", DAY, 100_000),
                attention("u3", "i2", "c2", DAY + 1, 100_000),
                attention("u1", "ad1", "acme", DAY, 30_000),
                # u2 saw c1 three days before the period: c1 is not new to u2.
                attention("u2", "i1", "c1", DAY - 3, 10_000),
            ],
        )
        connection.execute(
            campaigns.insert().values(
                world_id="w",
                campaign_id="camp",
                advertiser_id="acme",
                budget_minor=10_000,
                currency="USD",
                bid_per_second=3.0,
                created_ms=0,
                updated_ms=0,
            )
        )
        connection.execute(
            exposures.insert().values(
                world_id="w",
                feed_id="f1",
                user_id="u1",
                slot=0,
                item_id="ad1",
                creator_id="acme",
                kind="ad",
                policy="greedy",
                served_ms=DAY * DAY_MS + 3_600_000,
                exposure=1.0,
                score=1.0,
                campaign_id="camp",
                price_per_second=2.0,
            )
        )
    ledger = Ledger(database, "w")
    ledger.create_accounts(
        [
            Account("platform:funding:USD", "platform", "platform", "USD", False, True),
            Account("platform:emission:USD", "platform", "platform", "USD", False, True),
            Account("advertiser:acme:USD", "acme", "advertiser", "USD", True),
            Account("pool:rewards:USD", "platform", "pool", "USD", True),
        ]
    )
    transfers = [Transfer("quest-budget", "platform:emission:USD", "pool:rewards:USD", 100, "USD")]
    if fund_advertiser_minor:
        deposit = fund_advertiser("acme", fund_advertiser_minor, currency="USD", reference="p1")
        transfers.append(
            Transfer(
                deposit.transfer_id,
                deposit.debit_account_id,
                deposit.credit_account_id,
                deposit.amount,
                "USD",
            )
        )
    ledger.create_transfers(transfers).raise_first_error()
    return ledger


def test_a_period_is_charged_paid_and_rewarded_to_the_minor_unit(database: sa.Engine) -> None:
    ledger = build_world(database)

    settlement = engine.settle_period(database, "w", PERIOD)

    totals = settlement.statement["totals"]
    # 2.0 per attentive second × 30 s of verified attention on the ad.
    assert totals["charged_minor"] == 60
    # Half the ad revenue (30) plus the emission (1,000).
    assert totals["creator_pool_minor"] == 1_030
    # c1 earned 300 s, c2 200 s (100 s of it unverified, held back in full): 618 and 412.
    payouts = {row["creator_id"]: row for row in settlement.statement["payouts"]}
    assert (payouts["c1"]["paid_minor"], payouts["c1"]["held_back_minor"]) == (618, 0)
    assert (payouts["c2"]["paid_minor"], payouts["c2"]["held_back_minor"]) == (206, 206)
    assert "acme" not in payouts  # attention to ads is not a creator's to earn
    assert ledger.balance("creator:c1:USD").posted == 618
    assert ledger.balance("creator:c2:USD").posted == 206
    assert ledger.balance("escrow:holdback:USD").posted == 206
    assert ledger.balance("advertiser:acme:USD").posted == 1_000 - 60
    # A fifth of the ad revenue (12) rewards u1, the only person who attended the ad;
    # the explorer quest pays u1 (c1 is new to them) and u2 (c2 is new), not u3.
    assert ledger.balance("person:u1:USD").posted == 12 + 10
    assert ledger.balance("person:u2:USD").posted == 10
    assert ledger.balance("pool:rewards:USD").posted == 100 - 20
    assert ledger.audit().ok


def test_settling_the_same_period_again_pays_nothing_twice(database: sa.Engine) -> None:
    ledger = build_world(database)
    first = engine.settle_period(database, "w", PERIOD)
    balances = {account.id: balance for account, balance in ledger.accounts()}

    again = engine.settle_period(database, "w", PERIOD)

    assert first.created > 0
    assert (again.created, again.already_there, again.rerun) == (0, first.created, True)
    assert {account.id: balance for account, balance in ledger.accounts()} == balances
    assert again.statement == first.statement


def test_a_period_overlapping_a_settled_one_is_refused_and_writes_nothing(
    database: sa.Engine,
) -> None:
    build_world(database)
    engine.settle_period(database, "w", PERIOD)
    with database.connect() as connection:
        journal = connection.execute(sa.select(sa.func.count()).select_from(ledger_transfers))
        before = journal.scalar_one()

    with pytest.raises(PeriodOverlap, match=r"overlaps 2026-03-02\.\.2026-03-03"):
        engine.settle_period(database, "w", "2026-03-03..2026-03-09")

    with database.connect() as connection:
        journal = connection.execute(sa.select(sa.func.count()).select_from(ledger_transfers))
        assert journal.scalar_one() == before


def test_the_next_period_settles_on_its_own(database: sa.Engine) -> None:
    ledger = build_world(database)
    engine.settle_period(database, "w", PERIOD)

    following = engine.settle_period(database, "w", "2026-03-04..2026-03-05")

    # No attention in it: the emission stays in the pool, carried to the next split.
    assert following.statement["totals"]["paid_to_creators_minor"] == 0
    assert ledger.balance("pool:creators:USD").posted == 1_000
    assert ledger.audit().ok


def test_an_advertiser_without_funds_is_charged_nothing_and_the_statement_says_so(
    database: sa.Engine,
) -> None:
    ledger = build_world(database, fund_advertiser_minor=0)

    settlement = engine.settle_period(database, "w", PERIOD)

    [charge] = settlement.statement["charges"]
    assert (charge["owed_minor"], charge["charged_minor"]) == (60, 0)
    assert "capped" in charge["note"]
    assert settlement.statement["totals"]["creator_pool_minor"] == 1_000
    assert ledger.audit().ok


def test_an_unknown_world_or_an_unreadable_period_is_refused(database: sa.Engine) -> None:
    build_world(database)
    with pytest.raises(NotFound):
        engine.settle_period(database, "nowhere", PERIOD)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        engine.settle_period(database, "w", "March")
    with pytest.raises(InputError, match="ends before it starts"):
        engine.settle_period(database, "w", "2026-03-05..2026-03-01")
