"""Attention-informed price suggestions for virtual goods, and their out-of-time evaluation.

For a sale (or a question: "what would asset i fetch on day d?") the features use only
what was known before that day: attentive time over the last 3, 7 and 28 days and its
trend, the creator's following, comparable sales (same creator, same topic, other assets,
last 28 days), the asset's own last sale and how long ago it was, and its list price.

``PriceModel`` learns, with gradient-boosted trees, the log ratio of the price to the
naive guess (the asset's last sale price, or its list price if it never sold), so it
starts from the baseline and learns how attention and comparables move prices away from
it; trees cannot extrapolate, and a ratio keeps every price level inside what they saw.
"""

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Self

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingRegressor

from mindshare.market._history import AssetRow, DailyAttention, InvalidMarketData, Sale
from mindshare.market._listings import MarketError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FEATURE_NAMES: Final = (
    "log_list_price",
    "log_attention_3d",
    "log_attention_7d",
    "log_attention_28d",
    "attention_trend_7d_28d",
    "log_creator_followers",
    "log_last_sale_price",
    "last_sale_vs_list",
    "days_since_last_sale",
    "sales_28d",
    "creator_comparable_log_price",
    "creator_comparable_premium",
    "topic_comparable_log_price",
    "topic_comparable_premium",
)
"""Feature columns, in order. Missing values (no sale yet, no comparables) are NaN."""

COMPARABLE_WINDOW_DAYS: Final = 28


class UnknownAsset(MarketError):
    """A sale or question about an item that is not among the assets given."""


class NotEnoughSales(MarketError):
    """Too few sales to fit or evaluate a price model."""


class ModelNotFitted(MarketError):
    """A price model asked for a price before ``fit``."""


@dataclass(frozen=True, slots=True, eq=False)
class PricingFeatures:
    """Feature rows, one per sale or question, with what the model needs around them.

    ``anchor_minor`` is the naive guess for each row (last sale price before the day, or
    the list price); ``price_minor`` the actual price (0 for a question, which has none).
    """

    matrix: FloatArray
    item_ids: tuple[str, ...]
    days: IntArray
    anchor_minor: IntArray
    price_minor: IntArray
    names: tuple[str, ...] = FEATURE_NAMES

    def __len__(self) -> int:
        return len(self.item_ids)

    def take(self, rows: npt.NDArray[np.bool_] | IntArray) -> "PricingFeatures":
        """The rows selected by a mask or an index array."""
        picked = np.arange(len(self))[rows]
        return PricingFeatures(
            matrix=self.matrix[picked],
            item_ids=tuple(self.item_ids[int(i)] for i in picked),
            days=self.days[picked],
            anchor_minor=self.anchor_minor[picked],
            price_minor=self.price_minor[picked],
            names=self.names,
        )


def pricing_features(
    sales: Sequence[Sale],
    daily_attention: DailyAttention,
    assets: Sequence[AssetRow],
    *,
    as_of_day: int | None = None,
) -> PricingFeatures:
    """One feature row per sale (those before ``as_of_day``, when given), in input order.

    Each row uses only what was known before its sale's day: sales on earlier days and
    attention on earlier days. Appending later sales or attention changes no row.
    """
    kept = [s for s in sales if as_of_day is None or s.day < as_of_day]
    index = _MarketIndex(kept, daily_attention, assets)
    matrix, anchors = index.rows([(s.item_id, s.day) for s in kept])
    return PricingFeatures(
        matrix=matrix,
        item_ids=tuple(s.item_id for s in kept),
        days=np.array([s.day for s in kept], dtype=np.int64),
        anchor_minor=anchors,
        price_minor=np.array([s.price_minor for s in kept], dtype=np.int64),
    )


def question_features(
    item_ids: Sequence[str],
    *,
    day: int,
    sales: Sequence[Sale],
    daily_attention: DailyAttention,
    assets: Sequence[AssetRow],
) -> PricingFeatures:
    """Feature rows for "what would each of ``item_ids`` fetch on ``day``?" (no price known)."""
    index = _MarketIndex([s for s in sales if s.day < day], daily_attention, assets)
    matrix, anchors = index.rows([(item_id, day) for item_id in item_ids])
    return PricingFeatures(
        matrix=matrix,
        item_ids=tuple(item_ids),
        days=np.full(len(item_ids), day, dtype=np.int64),
        anchor_minor=anchors,
        price_minor=np.zeros(len(item_ids), dtype=np.int64),
    )


class PriceModel:
    """Gradient-boosted trees (scikit-learn's HistGradientBoostingRegressor) on log price ratios.

    The constructor stores hyperparameters only; ``fit`` sets ``estimator_``. ``seed``
    fixes the trees' randomness, so the same data gives the same model.
    """

    def __init__(
        self,
        *,
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        loss: str = "squared_error",
        seed: int = 0,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.loss = loss
        self.seed = seed

    def fit(self, features: PricingFeatures) -> Self:
        """Learn ``log(price / anchor)`` from sales' feature rows."""
        if len(features) < 2:
            raise NotEnoughSales(f"fitting needs at least 2 sales, not {len(features)}")
        target = np.log(features.price_minor / features.anchor_minor)
        self.estimator_ = HistGradientBoostingRegressor(
            loss=self.loss,
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.seed,
        ).fit(features.matrix, target)
        return self

    def predict(self, features: PricingFeatures) -> IntArray:
        """Suggested prices in whole minor units (at least 1), one per row."""
        estimator: Any = getattr(self, "estimator_", None)
        if estimator is None:
            raise ModelNotFitted("call fit before asking a PriceModel for prices")
        if len(features) == 0:
            return np.zeros(0, dtype=np.int64)
        ratio = np.exp(np.asarray(estimator.predict(features.matrix), dtype=np.float64))
        return np.maximum(1, np.rint(features.anchor_minor * ratio)).astype(np.int64)

    def suggest_price(
        self,
        item_id: str,
        *,
        day: int,
        sales: Sequence[Sale],
        daily_attention: DailyAttention,
        assets: Sequence[AssetRow],
    ) -> int:
        """The price, in minor units, that ``item_id`` should fetch on ``day``.

        Uses only sales and attention from before ``day``.
        """
        question = question_features(
            [item_id], day=day, sales=sales, daily_attention=daily_attention, assets=assets
        )
        return int(self.predict(question)[0])


@dataclass(frozen=True, slots=True)
class OutOfTimeEvaluation:
    """Mean absolute errors (minor units) of the model and of the last-sale-price baseline."""

    model_mae: float
    baseline_mae: float
    train_sales: int
    test_sales: int
    model: PriceModel = field(repr=False)

    @property
    def mae_ratio(self) -> float:
        """Model MAE over baseline MAE: below 1 means the model prices better."""
        return self.model_mae / self.baseline_mae if self.baseline_mae else math.inf


def evaluate_out_of_time(
    sales: Sequence[Sale],
    daily_attention: DailyAttention,
    assets: Sequence[AssetRow],
    *,
    split_day: int,
    model: PriceModel | None = None,
) -> OutOfTimeEvaluation:
    """Fit on sales before ``split_day``, then price every sale on or after it.

    Test rows, like training rows, see everything before their own day (sales of the test
    period included), as a model refreshed daily would, but the model is fitted once, on
    the training period. The baseline prices each test sale at the asset's last sale
    price before that day, or its list price if it never sold.
    """
    features = pricing_features(sales, daily_attention, assets)
    train = features.days < split_day
    if not train.any() or train.all():
        raise NotEnoughSales(
            f"split_day {split_day} leaves {int(train.sum())} training and "
            f"{int((~train).sum())} test sales; both need at least one"
        )
    fitted = (model if model is not None else PriceModel()).fit(features.take(train))
    test = features.take(~train)
    predicted = fitted.predict(test)
    return OutOfTimeEvaluation(
        model_mae=_mae(predicted, test.price_minor),
        baseline_mae=_mae(test.anchor_minor, test.price_minor),
        train_sales=int(train.sum()),
        test_sales=len(test),
        model=fitted,
    )


# --- feature computation ----------------------------------------------------------------


def _mae(predicted: IntArray, actual: IntArray) -> float:
    return float(np.mean(np.abs(predicted - actual)))


@dataclass(slots=True)
class _Trades:
    """One group's sales in day order: days, item codes, log prices, log(price / list)."""

    days: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    log_prices: list[float] = field(default_factory=list)
    premiums: list[float] = field(default_factory=list)

    def window(self, start_day: int, end_day: int) -> tuple[int, int]:
        """Positions of the sales with ``start_day <= day < end_day``."""
        return bisect_left(self.days, start_day), bisect_left(self.days, end_day)


class _MarketIndex:
    """Sales grouped by asset, creator and topic, and attention prefix sums, for fast rows."""

    def __init__(
        self,
        sales: Sequence[Sale],
        daily_attention: DailyAttention,
        assets: Sequence[AssetRow],
    ) -> None:
        self.assets: dict[str, AssetRow] = {}
        for asset in assets:
            if asset.item_id in self.assets:
                raise InvalidMarketData(f"asset {asset.item_id!r} appears twice")
            if asset.list_price_minor < 1:
                raise InvalidMarketData(f"asset {asset.item_id!r}: list price below 1")
            self.assets[asset.item_id] = asset
        self.code = {item_id: n for n, item_id in enumerate(self.assets)}
        self.prefix: dict[str, FloatArray] = {}
        for item_id in self.assets:
            daily = np.asarray(daily_attention.get(item_id, ()), dtype=np.float64)
            if np.any(daily < 0):
                raise InvalidMarketData(f"attention of {item_id!r} is negative on some day")
            self.prefix[item_id] = np.concatenate([[0.0], np.cumsum(daily)])
        self.by_item: dict[str, _Trades] = defaultdict(_Trades)
        self.by_creator: dict[str, _Trades] = defaultdict(_Trades)
        self.by_topic: dict[str, _Trades] = defaultdict(_Trades)
        # Order by time so "last sale" is the latest; the rest only breaks ties stably.
        for sale in sorted(sales, key=lambda s: (s.day, s.ts_ms, s.item_id, s.price_minor)):
            asset = self._asset(sale.item_id)
            if sale.price_minor < 1:
                raise InvalidMarketData(f"a sale of {sale.item_id!r} has price {sale.price_minor}")
            log_price = math.log(sale.price_minor)
            premium = log_price - math.log(asset.list_price_minor)
            groups = [self.by_item[sale.item_id], self.by_creator[asset.creator_id]]
            if asset.topic:
                groups.append(self.by_topic[asset.topic])
            for trades in groups:
                trades.days.append(sale.day)
                trades.items.append(self.code[sale.item_id])
                trades.log_prices.append(log_price)
                trades.premiums.append(premium)

    def rows(self, questions: Sequence[tuple[str, int]]) -> tuple[FloatArray, IntArray]:
        """Feature matrix and anchors for (item, day) questions, from days before each day."""
        matrix = np.full((len(questions), len(FEATURE_NAMES)), np.nan)
        anchors = np.zeros(len(questions), dtype=np.int64)
        for n, (item_id, day) in enumerate(questions):
            matrix[n], anchors[n] = self._row(item_id, day)
        return matrix, anchors

    def _asset(self, item_id: str) -> AssetRow:
        asset = self.assets.get(item_id)
        if asset is None:
            raise UnknownAsset(f"{item_id!r} is not among the assets given")
        return asset

    def _row(self, item_id: str, day: int) -> tuple[FloatArray, int]:
        asset = self._asset(item_id)
        log_list = math.log(asset.list_price_minor)
        prefix = self.prefix[item_id]
        attention = [self._log_mean_attention(prefix, day, span) for span in (3, 7, 28)]

        own = self.by_item.get(item_id, _Trades())
        start, end = own.window(day - COMPARABLE_WINDOW_DAYS, day)
        last = bisect_left(own.days, day) - 1
        if last >= 0:
            last_log = own.log_prices[last]
            anchor = round(math.exp(last_log))
            since = float(day - own.days[last])
        else:
            last_log, anchor, since = math.nan, asset.list_price_minor, math.nan
        creator = self._comparables(self.by_creator.get(asset.creator_id), item_id, day)
        topic = self._comparables(self.by_topic.get(asset.topic), item_id, day)
        row = np.array(
            [
                log_list,
                *attention,
                attention[1] - attention[2],
                math.log1p(asset.creator_followers),
                last_log,
                last_log - log_list,
                since,
                float(end - start),
                *creator,
                *topic,
            ]
        )
        return row, anchor

    @staticmethod
    def _log_mean_attention(prefix: FloatArray, day: int, span: int) -> float:
        """log(1 + mean daily attention) over the ``span`` days before ``day``; NaN if none.

        Days from 0 on with no attention value had none; days before 0 are unknown.
        """
        lo, hi = max(0, day - span), max(0, day)
        if hi <= lo:
            return math.nan
        last = prefix.size - 1
        total = prefix[min(hi, last)] - prefix[min(lo, last)]
        return math.log1p(float(total) / (hi - lo))

    def _comparables(self, trades: _Trades | None, item_id: str, day: int) -> tuple[float, float]:
        """Median log price and median premium of other assets' sales in the window."""
        if trades is None:
            return math.nan, math.nan
        start, end = trades.window(day - COMPARABLE_WINDOW_DAYS, day)
        me = self.code[item_id]
        picked = [k for k in range(start, end) if trades.items[k] != me]
        if not picked:
            return math.nan, math.nan
        return (
            float(np.median([trades.log_prices[k] for k in picked])),
            float(np.median([trades.premiums[k] for k in picked])),
        )
