"""The demo world's market: seeded attention series and sales whose prices follow attention.

Store-free: assets and attention come in as plain rows and sequences, sales go out as
frozen dataclasses. ``demo_assets`` reads the asset rows off the demo world's records;
``simulate_daily_attention`` draws item lifecycles (launch, hype, decay, viral bursts) at
the demo world's scale, since the demo world's own tastes do not change over time;
``generate_market_history`` turns attention into trades with the demand model written
in its docstring. Same arguments, same output.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from mindshare.core import MS_PER_DAY, to_epoch_ms
from mindshare.market._listings import MarketError

FloatArray = npt.NDArray[np.float64]
DailyAttention = Mapping[str, Sequence[int]]
"""Attentive ms per item and day: ``daily[item_id][d]`` for day ``d`` (0 = the first day)."""

DEMO_START_MS: Final = to_epoch_ms(datetime(2026, 1, 5, tzinfo=UTC))
"""Midnight UTC of the demo world's first day (``generate_demo_world``'s default start)."""


class InvalidMarketData(MarketError):
    """Assets, attention or sales that cannot describe a market (duplicates, negatives)."""


@dataclass(frozen=True, slots=True)
class AssetRow:
    """A tradable asset as the market sees it: its creator, list price and creator's reach."""

    item_id: str
    creator_id: str
    list_price_minor: int
    creator_followers: int
    topic: str = ""


@dataclass(frozen=True, slots=True)
class Sale:
    """One trade of an asset: ``day`` counts from the first day, ``ts_ms`` is epoch ms."""

    item_id: str
    day: int
    ts_ms: int
    price_minor: int
    seller_id: str
    buyer_id: str


def demo_assets(
    items: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]]
) -> list[AssetRow]:
    """Asset rows from demo-world records: ``asset`` items, followers from ``follow`` events.

    A follow event names the item it happened on; it counts for that item's creator.
    """
    records = list(items)
    creator_of = {str(r["item_id"]): str(r["creator_id"]) for r in records}
    followers = Counter(
        creator_of[str(e["item_id"])]
        for e in events
        if e.get("type") == "follow" and str(e.get("item_id")) in creator_of
    )
    return [
        AssetRow(
            item_id=str(r["item_id"]),
            creator_id=str(r["creator_id"]),
            list_price_minor=int(r["price_minor"]),
            creator_followers=followers[str(r["creator_id"])],
            topic=str(r["tags"][0]) if r.get("tags") else "",
        )
        for r in records
        if r.get("kind") == "asset"
    ]


# --- attention --------------------------------------------------------------------------

_ATTENTION_MEDIAN_MS: Final = 60_000.0  # a typical asset's attentive ms on an ordinary day
_LAUNCH_WINDOW: Final = (-60, 0.75)  # launches from 60 days before day 0 to 3/4 of the way in


def simulate_daily_attention(
    assets: Sequence[AssetRow], *, days: int, seed: int
) -> dict[str, list[int]]:
    """Attentive ms per asset and day, for ``days`` days, drawn from ``seed``.

    Each asset has a level (higher for creators with more followers, lognormal across
    assets), launches on a random day (many before day 0), ramps up over a few days, then
    decays with its own half-life towards a quarter of its peak. Viral bursts (about one
    a month per asset) jump attention up and fade over one to two weeks; a slow random
    walk and daily noise sit on top. Nothing before launch.
    """
    _check_assets(assets)
    _require_days(days)
    rng = np.random.default_rng([seed, 1])
    log_followers = np.log1p([a.creator_followers for a in assets])
    centre = float(log_followers.mean()) if len(assets) else 0.0
    d = np.arange(days, dtype=np.float64)
    series: dict[str, list[int]] = {}
    for asset, followers in zip(assets, log_followers, strict=True):
        level = math.log(_ATTENTION_MEDIAN_MS) + 0.4 * (followers - centre) + rng.normal(0, 0.7)
        launch = int(rng.integers(_LAUNCH_WINDOW[0], int(days * _LAUNCH_WINDOW[1]) + 1))
        half_life = math.exp(rng.normal(math.log(20.0), 0.5))
        age = d - launch
        live = age >= 0
        ramp = 1.0 - np.exp(-(np.maximum(age, 0.0) + 1.0) / 2.5)
        decay = 0.25 + 0.75 * np.exp(-np.maximum(age, 0.0) * math.log(2.0) / half_life)
        bursts = np.ones(days)
        for _ in range(int(rng.poisson(days / 30.0))):
            start = int(rng.integers(0, days))
            height = math.exp(rng.normal(math.log(1.5), 0.6))
            width = rng.uniform(4.0, 15.0)
            after = d >= start
            bursts[after] += height * np.exp(-(d[after] - start) / width)
        drift = np.cumsum(rng.normal(0.0, 0.04, days))
        noise = rng.normal(0.0, 0.3, days)
        attention = np.exp(level + drift + noise) * ramp * decay * bursts
        series[asset.item_id] = np.where(live, np.round(attention), 0.0).astype(np.int64).tolist()
    return series


# --- sales ------------------------------------------------------------------------------

# The demand model's coefficients (see generate_market_history).
_ATTENTION_ELASTICITY: Final = 0.45
_TREND_ELASTICITY: Final = 0.6
_FOLLOWER_ELASTICITY: Final = 0.1
_MAX_PREMIUM: Final = 2.0
_TASTE_PERSISTENCE: Final = 0.97
_TASTE_STEP: Final = 0.04
_PRICE_NOISE: Final = 0.12
_SALES_PER_DAY: Final = 0.3
_SALES_ELASTICITY: Final = 0.8
_MAX_SALES_PER_DAY: Final = 3.0


def generate_market_history(
    assets: Sequence[AssetRow],
    daily_attention: DailyAttention,
    *,
    days: int,
    seed: int,
    lag_days: int = 3,
    buyers: int = 500,
    start_ms: int = DEMO_START_MS,
) -> list[Sale]:
    """Sales of ``assets`` over ``days`` days, in time order, priced by attention.

    The demand model, per asset ``i`` and day ``d`` (``L(x) = log(1 + x)``):

    - Attention reaches prices with a lag of ``lag_days``: ``s7`` and ``s28`` are the
      mean daily attentive ms over the 7 and 28 days ending ``lag_days`` before ``d``
      (the all-asset median when no such day exists). ``A`` is the median positive daily
      attention of all assets: the attention at which an asset is worth its list price.
    - Value: ``log V = log list_price + clip(0.45 (L(s7) - L(A)) + 0.6 (L(s7) - L(s28))
      + 0.1 (L(followers) - mean), ±2) + u``. More attention than usual, rising
      attention and a bigger following raise the price; ``u`` is the asset's own taste
      shock, an AR(1) (persistence 0.97, step sd 0.04) no feature observes except the
      prices it leaves behind.
    - Trades: ``Poisson(min(3, 0.3 exp(0.8 (L(s7) - L(A)))))`` a day, so attended assets
      trade more; each clears at ``V × exp(N(0, 0.12))``, rounded to minor units (≥ 1).
    - The creator sells first; each buyer (one of ``buyers`` people ``b0001``…) then
      owns it and is the next seller. Times are uniform within the day.

    Because prices follow attention with a lag and with noise, attention before a sale
    carries signal about its price that the asset's last sale price does not carry.
    """
    _check_assets(assets)
    _require_days(days)
    if lag_days < 0 or buyers < 2:
        raise InvalidMarketData("lag_days must be ≥ 0 and buyers ≥ 2 (a buyer is not the seller)")
    rng = np.random.default_rng([seed, 2])
    attention = {a.item_id: _attention_array(daily_attention, a.item_id, days) for a in assets}
    positive = np.concatenate([a[a > 0] for a in attention.values()] + [np.zeros(0)])
    reference = math.log1p(float(np.median(positive)) if positive.size else 0.0)
    log_followers = np.log1p([a.creator_followers for a in assets])
    centre = float(log_followers.mean()) if len(assets) else 0.0
    day_index = np.arange(days)
    sales: list[Sale] = []
    for asset, followers in zip(assets, log_followers, strict=True):
        prefix = np.concatenate([[0.0], np.cumsum(attention[asset.item_id])])
        fallback = math.expm1(reference)
        recent = np.log1p(
            _window_mean(prefix, day_index - lag_days - 7, day_index - lag_days, fallback)
        )
        month = np.log1p(
            _window_mean(prefix, day_index - lag_days - 28, day_index - lag_days, fallback)
        )
        premium = np.clip(
            _ATTENTION_ELASTICITY * (recent - reference)
            + _TREND_ELASTICITY * (recent - month)
            + _FOLLOWER_ELASTICITY * (followers - centre),
            -_MAX_PREMIUM,
            _MAX_PREMIUM,
        )
        taste = _ar1(rng, days)
        log_value = math.log(asset.list_price_minor) + premium + taste
        rate = np.minimum(
            _MAX_SALES_PER_DAY, _SALES_PER_DAY * np.exp(_SALES_ELASTICITY * (recent - reference))
        )
        counts = rng.poisson(rate)
        owner = asset.creator_id
        for day in np.flatnonzero(counts):
            offsets = np.sort(rng.integers(0, MS_PER_DAY, int(counts[day])))
            for offset in offsets:
                price = max(1, round(math.exp(log_value[day] + rng.normal(0.0, _PRICE_NOISE))))
                buyer = _buyer_id(int(rng.integers(buyers)))
                while buyer == owner:
                    buyer = _buyer_id(int(rng.integers(buyers)))
                sales.append(
                    Sale(
                        item_id=asset.item_id,
                        day=int(day),
                        ts_ms=start_ms + int(day) * MS_PER_DAY + int(offset),
                        price_minor=price,
                        seller_id=owner,
                        buyer_id=buyer,
                    )
                )
                owner = buyer
    sales.sort(key=lambda s: (s.ts_ms, s.item_id))
    return sales


# --- helpers ----------------------------------------------------------------------------


def _attention_array(daily: DailyAttention, item_id: str, days: int) -> FloatArray:
    """The first ``days`` days of an item's attention; missing days had none."""
    values = np.zeros(days)
    given = np.asarray(daily.get(item_id, ()), dtype=np.float64)[:days]
    if np.any(given < 0):
        raise InvalidMarketData(f"attention of {item_id!r} is negative on some day")
    values[: given.size] = given
    return values


def _window_mean(
    prefix: FloatArray, lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64], fallback: float
) -> FloatArray:
    """Mean of the days in ``[lo, hi)`` that exist, from prefix sums; ``fallback`` when none."""
    last = prefix.size - 1
    lo_c, hi_c = np.clip(lo, 0, last), np.clip(hi, 0, last)
    count = hi_c - lo_c
    total = prefix[hi_c] - prefix[lo_c]
    return np.where(count > 0, total / np.maximum(count, 1), fallback)


def _ar1(rng: np.random.Generator, days: int) -> FloatArray:
    """A stationary AR(1) path: the asset's taste shock, unobserved by anything but prices."""
    steps = rng.normal(0.0, _TASTE_STEP, days)
    path = np.empty(days)
    level = rng.normal(0.0, _TASTE_STEP / math.sqrt(1.0 - _TASTE_PERSISTENCE**2))
    for d in range(days):
        level = _TASTE_PERSISTENCE * level + steps[d]
        path[d] = level
    return path


def _buyer_id(n: int) -> str:
    return f"b{n + 1:04d}"


def _check_assets(assets: Sequence[AssetRow]) -> None:
    seen: set[str] = set()
    for asset in assets:
        if asset.item_id in seen:
            raise InvalidMarketData(f"asset {asset.item_id!r} appears twice; item ids are unique")
        seen.add(asset.item_id)
        if asset.list_price_minor < 1:
            raise InvalidMarketData(
                f"asset {asset.item_id!r}: list_price_minor is {asset.list_price_minor}; "
                "it must be at least 1"
            )
        if asset.creator_followers < 0:
            raise InvalidMarketData(f"asset {asset.item_id!r}: creator_followers is negative")


def _require_days(days: int) -> None:
    if days < 1:
        raise InvalidMarketData(f"days is {days}; a market history needs at least 1 day")
