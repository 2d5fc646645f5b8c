"""The parameters of a simulated world, checked once so that the agents never meet nonsense.

``WorldConfig`` holds only numbers, a start day, a seed and a currency; every rule that
uses a parameter is in ``mindshare.sim._agents``. A parameter outside its range is an
``InputError`` that names the field, before anything is drawn.
"""

import math
from dataclasses import dataclass, fields
from datetime import date
from typing import NoReturn

from mindshare.core import InputError, is_currency_code

#: Fields that count something and must be whole numbers of at least 1.
_AT_LEAST_ONE = (
    "people",
    "creators",
    "topics",
    "slots",
    "initial_items_per_creator",
    "creatives_per_advertiser",
    "churn_days",
    "exit_patience_days",
)
#: Whole numbers that may be zero (counts, money in minor units, milliseconds).
_AT_LEAST_ZERO = (
    "seed",
    "advertisers",
    "advertiser_budget_median_minor",
    "asset_price_median_minor",
    "deposit_minor",
    "exit_income_minor",
    "entry_reference_income_minor",
    "max_trades_per_day",
)
#: Probabilities and shares, in [0, 1].
_PROBABILITIES = (
    "boredom",
    "satiation_decay",
    "low_visibility_share",
    "like_rate",
    "follow_rate",
    "click_rate",
    "join_rate",
    "asset_share",
    "creator_entry_rate",
    "topic_shift_probability",
    "bid_shading",
    "deposit_rate",
    "offer_rate",
    "purchase_rate",
)
#: Finite numbers that must be strictly positive.
_POSITIVE = (
    "interest_concentration",
    "activity_alpha",
    "activity_beta",
    "budget_median_minutes",
    "budget_max_minutes",
    "choice_sharpness",
    "dwell_base_ms",
    "dwell_cap_ms",
    "ad_appeal",
    "advertiser_value_per_second",
)
#: Finite numbers that may be zero.
_NON_NEGATIVE = ("budget_sigma", "dwell_sigma", "satiation_step", "production_rate")

#: The latest a session may end: a view's ``ts`` stays before 23:59 UTC of its day.
LATEST_SESSION_END_MINUTES = 11 * 60 + 59


@dataclass(frozen=True, slots=True)
class WorldConfig:
    """A world of people, creators and advertisers, drawn from ``seed``.

    Parameters
    ----------
    people, creators, topics
        How many people and creators the world starts with, and how many topics exist.
    start
        The first day; day ``k`` of the simulation is ``start + k days``.
    seed
        The only source of randomness (with the day and the phase of the day).
    currency
        The world economy's currency: asset prices are in it.
    slots
        The feed length the world expects; the first day's catalogue holds at least this
        many items (``creators × initial_items_per_creator``).
    advertisers, initial_items_per_creator, creatives_per_advertiser
        Advertisers (each with a daily campaign), items each creator starts with, and ad
        creatives each advertiser shows.
    interest_concentration
        Dirichlet concentration of people's topic interests (small: a few favourites).
    activity_alpha, activity_beta
        Beta distribution of the probability that a person visits on a given day.
    budget_median_minutes, budget_sigma, budget_max_minutes
        A person's daily attention budget: lognormal with this median and log-sd, capped.
    choice_sharpness, no_choice_utility
        The logit's scale on utility, and the utility of choosing nothing (stop scrolling).
    satiation_step, satiation_decay
        Satiation added to a topic per item consumed, and the fraction kept each day.
    boredom
        Factor on the appeal of an item the person has already consumed.
    dwell_base_ms, dwell_sigma, dwell_cap_ms
        Dwell is lognormal around ``dwell_base_ms × (0.2 + 2 × appeal)``, capped.
    low_visibility_share
        Share of views less than half visible (not attention by the viewability rule).
    like_rate, follow_rate, click_rate
        Probability of a like, a follow of the creator, and a click on an ad, per view of
        an item of appeal 1 (scaled by appeal).
    churn_threshold, churn_days
        A person whose day's realised utility is below the threshold on ``churn_days``
        visits in a row leaves for good.
    join_rate
        New people per day, as a share of ``people``.
    production_rate, asset_share, asset_price_median_minor
        Mean items a creator makes per day (each creator's rate is gamma around it), the
        share of items that are tradeable assets, and their median price.
    exit_income_minor, exit_patience_days
        A creator paid less than ``exit_income_minor`` on ``exit_patience_days`` days in
        a row stops producing.
    creator_entry_rate, entry_reference_income_minor
        New creators per day as a share of ``creators``, multiplied by
        ``1 + mean pay per active creator / entry_reference_income_minor`` (capped at 5×).
    topic_shift_probability
        Daily probability that a creator moves to the topic with most attention per creator.
    advertiser_budget_median_minor, advertiser_value_per_second, bid_shading, ad_appeal
        Daily ad budgets (lognormal median), the value of an attentive second (median, in
        minor units), the share of it bid, and how appealing an ad is next to content.
    deposit_rate, deposit_minor, offer_rate, purchase_rate, max_trades_per_day
        The market: share of active people who deposit money each day and how much, the
        probability an owner lists an asset, that an interested person buys a listing,
        and the most purchases a day.
    """

    people: int
    creators: int
    topics: int = 8
    start: date = date(2026, 1, 5)
    seed: int = 0
    currency: str = "USD"
    slots: int = 10
    advertisers: int = 3
    initial_items_per_creator: int = 3
    creatives_per_advertiser: int = 2
    interest_concentration: float = 0.3
    activity_alpha: float = 2.0
    activity_beta: float = 2.0
    budget_median_minutes: float = 10.0
    budget_sigma: float = 0.6
    budget_max_minutes: float = 240.0
    choice_sharpness: float = 8.0
    no_choice_utility: float = 0.3
    satiation_step: float = 0.1
    satiation_decay: float = 0.5
    boredom: float = 0.1
    dwell_base_ms: float = 20_000.0
    dwell_sigma: float = 0.5
    dwell_cap_ms: float = 600_000.0
    low_visibility_share: float = 0.05
    like_rate: float = 0.3
    follow_rate: float = 0.03
    click_rate: float = 0.2
    churn_threshold: float = 0.2
    churn_days: int = 5
    join_rate: float = 0.002
    production_rate: float = 0.5
    asset_share: float = 0.1
    asset_price_median_minor: int = 500
    exit_income_minor: int = 1
    exit_patience_days: int = 7
    creator_entry_rate: float = 0.005
    entry_reference_income_minor: int = 100
    topic_shift_probability: float = 0.02
    advertiser_budget_median_minor: int = 5_000
    advertiser_value_per_second: float = 0.5
    bid_shading: float = 0.8
    ad_appeal: float = 0.5
    deposit_rate: float = 0.001
    deposit_minor: int = 2_000
    offer_rate: float = 0.02
    purchase_rate: float = 0.3
    max_trades_per_day: int = 5

    def __post_init__(self) -> None:
        names = {f.name for f in fields(self)}
        if not isinstance(self.start, date):
            _refuse("start", self.start, "must be a date")
        if not isinstance(self.currency, str) or not is_currency_code(self.currency):
            _refuse("currency", self.currency, "must be a currency code such as USD")
        for name in names.difference({"start", "currency"}):
            value = getattr(self, name)
            whole = name in _AT_LEAST_ONE or name in _AT_LEAST_ZERO
            if isinstance(value, bool) or not isinstance(value, int | float):
                _refuse(name, value, "must be a number")
            if whole and not isinstance(value, int):
                _refuse(name, value, "must be a whole number")
            if not math.isfinite(value):
                _refuse(name, value, "must be finite")
        for name in _AT_LEAST_ONE:
            if getattr(self, name) < 1:
                _refuse(name, getattr(self, name), "must be at least 1")
        for name in _AT_LEAST_ZERO + _NON_NEGATIVE:
            if getattr(self, name) < 0:
                _refuse(name, getattr(self, name), "must not be negative")
        for name in _POSITIVE:
            if getattr(self, name) <= 0:
                _refuse(name, getattr(self, name), "must be greater than 0")
        for name in _PROBABILITIES:
            if not 0 <= getattr(self, name) <= 1:
                _refuse(name, getattr(self, name), "must lie in [0, 1]")
        if self.budget_max_minutes > LATEST_SESSION_END_MINUTES - 30:
            _refuse(
                "budget_max_minutes",
                self.budget_max_minutes,
                f"must be at most {LATEST_SESSION_END_MINUTES - 30} (a session ends by 23:59)",
            )
        if self.dwell_cap_ms > 10 * 60_000:
            _refuse("dwell_cap_ms", self.dwell_cap_ms, "must be at most 600000 (10 minutes)")
        if self.slots > self.creators * self.initial_items_per_creator:
            _refuse(
                "slots",
                self.slots,
                f"is more than the {self.creators * self.initial_items_per_creator} items "
                "the first day has (creators × initial_items_per_creator)",
            )


def _refuse(name: str, value: object, rule: str) -> NoReturn:
    raise InputError(f"WorldConfig.{name} {rule}, got {value!r}")
