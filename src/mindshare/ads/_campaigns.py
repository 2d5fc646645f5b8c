"""Campaigns, creatives and targeting, and how they become one person's auction bids.

Money conventions: budgets and charges are integer minor units (cents for USD), as
everywhere at the ledger boundary. Bids and auction prices are floats in minor units
per attentive second, since a second of attention is usually worth a fraction of a
cent. A price becomes a charge through ``charge_minor``, which rounds down, so a
charge never exceeds what the price and the measured attention add up to.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from mindshare.ads._pacing import PacingState, pace_bid
from mindshare.core import MS_PER_SECOND, InputError


@dataclass(frozen=True, slots=True)
class Targeting:
    """Which people a campaign may reach, as sets of segments (plain strings).

    A person matches when they have every segment of ``require_all``, at least one of
    ``require_any`` (when it is not empty) and none of ``exclude``. The default reaches
    everyone.
    """

    require_all: frozenset[str] = frozenset()
    require_any: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Campaign:
    """An advertiser's budget for the day and what it bids, per attentive second or per click.

    Bids are floats in minor units: ``bid_per_second`` per attentive second,
    ``bid_per_click`` per click. A campaign gives at least one; with both it values a
    second of attention at the sum (see ``effective_bid_per_second``).
    """

    campaign_id: str
    advertiser_id: str
    budget_minor: int
    bid_per_second: float | None = None
    bid_per_click: float | None = None
    targeting: Targeting = field(default_factory=Targeting)

    def __post_init__(self) -> None:
        where = f"campaign {self.campaign_id!r}"
        if isinstance(self.budget_minor, bool) or not isinstance(self.budget_minor, int):
            raise InputError(
                f"{where}: budget_minor is {self.budget_minor!r}; it must be an integer "
                "count of minor units"
            )
        if self.budget_minor < 0:
            raise InputError(f"{where}: budget_minor is {self.budget_minor}; it must be ≥ 0")
        if self.bid_per_second is None and self.bid_per_click is None:
            raise InputError(f"{where}: give bid_per_second, bid_per_click or both")
        for name in ("bid_per_second", "bid_per_click"):
            bid = getattr(self, name)
            if bid is not None and (not math.isfinite(bid) or bid < 0):
                raise InputError(f"{where}: {name} is {bid!r}; it must be finite and ≥ 0")


@dataclass(frozen=True, slots=True)
class Creative:
    """An advert that can fill a slot: an item of kind ``ad`` and the campaign paying for it."""

    creative_id: str
    campaign_id: str


@dataclass(frozen=True, slots=True, eq=False)
class AuctionBids:
    """What ``run_auction`` needs for one person, one entry per creative in input order."""

    creative_ids: tuple[str, ...]
    #: Effective, paced bid per attentive second; 0 where the campaign may not bid.
    bids: npt.NDArray[np.float64]
    #: Predicted attentive seconds in a slot of weight 1.
    qualities: npt.NDArray[np.float64]


def person_segments(attributes: Mapping[str, object]) -> frozenset[str]:
    """A person's attributes as targeting segments.

    ``True`` gives the key itself, a string or number ``key=value``, and a list, tuple
    or set one ``key=value`` per element; ``False`` and ``None`` give nothing.

    Examples
    --------
    >>> sorted(person_segments({"country": "DE", "premium": True, "likes": ["racing"]}))
    ['country=DE', 'likes=racing', 'premium']
    """
    segments: set[str] = set()
    for key, value in attributes.items():
        if value is True:
            segments.add(key)
        elif value is False or value is None:
            continue
        elif isinstance(value, list | tuple | set | frozenset):
            segments.update(f"{key}={element}" for element in value)
        else:
            segments.add(f"{key}={value}")
    return frozenset(segments)


def matches_targeting(
    campaign: Campaign, person_attributes: Mapping[str, object] | Iterable[str]
) -> bool:
    """Whether a campaign may show to a person, given their attributes or segments.

    A mapping is read with ``person_segments``; any other iterable is taken as the
    segments themselves.

    Examples
    --------
    >>> campaign = Campaign("c1", "a1", 1_000, bid_per_second=0.5,
    ...                     targeting=Targeting(require_any=frozenset({"country=DE"})))
    >>> matches_targeting(campaign, {"country": "DE"}), matches_targeting(campaign, ["country=FR"])
    (True, False)
    """
    if isinstance(person_attributes, Mapping):
        segments = person_segments(person_attributes)
    else:
        segments = frozenset(person_attributes)
    targeting = campaign.targeting
    return (
        targeting.require_all <= segments
        and (not targeting.require_any or bool(targeting.require_any & segments))
        and not targeting.exclude & segments
    )


def effective_bid_per_second(
    campaign: Campaign, *, predicted_seconds: float, predicted_clicks: float
) -> float:
    """A campaign's bid per attentive second for one person and creative.

    A per-click bid converts through the predicted clicks per attentive second,
    ``predicted_clicks / predicted_seconds`` (both for a slot of weight 1), so that
    paying the converted bid for the predicted seconds costs the per-click bid for the
    predicted clicks. With no predicted attention the per-click part is 0.

    Examples
    --------
    >>> campaign = Campaign("c1", "a1", 1_000, bid_per_second=0.2, bid_per_click=50.0)
    >>> effective_bid_per_second(campaign, predicted_seconds=8.0, predicted_clicks=0.04)
    0.45
    """
    bid = campaign.bid_per_second or 0.0
    if campaign.bid_per_click and predicted_seconds > 0.0:
        bid += campaign.bid_per_click * predicted_clicks / predicted_seconds
    return bid


def auction_bids(
    campaigns: Sequence[Campaign],
    creatives: Sequence[Creative],
    *,
    predicted_seconds: npt.ArrayLike,
    predicted_clicks: npt.ArrayLike,
    person_attributes: Mapping[str, object] | Iterable[str],
    pacing: Mapping[str, PacingState] | None = None,
) -> AuctionBids:
    """Bids and qualities of every creative for one person, ready for ``run_auction``.

    Each creative bids its campaign's effective bid per attentive second, shaded by the
    campaign's pacing multiplier when ``pacing`` has one, and has quality
    ``predicted_seconds``. A creative whose campaign does not target the person, has a
    budget of 0, or has spent its budget bids 0 and so cannot win.

    Parameters
    ----------
    campaigns
        The campaigns, each ``campaign_id`` once.
    creatives
        The creatives in the auction; each names one of ``campaigns``.
    predicted_seconds, predicted_clicks
        Per creative, the person's predicted attentive seconds and clicks in a slot of
        weight 1; finite and ≥ 0.
    person_attributes
        The person's attributes or segments (see ``matches_targeting``).
    pacing
        Pacing state by ``campaign_id``; campaigns without one bid unshaded.
    """
    by_id: dict[str, Campaign] = {}
    for given in campaigns:
        if given.campaign_id in by_id:
            raise InputError(f"campaigns: campaign_id {given.campaign_id!r} appears twice")
        by_id[given.campaign_id] = given
    seconds = _per_creative("predicted_seconds", predicted_seconds, len(creatives))
    clicks = _per_creative("predicted_clicks", predicted_clicks, len(creatives))
    pacing = pacing or {}
    if isinstance(person_attributes, Mapping):
        segments = person_segments(person_attributes)
    else:
        segments = frozenset(person_attributes)

    bids = np.zeros(len(creatives), dtype=np.float64)
    for i, creative in enumerate(creatives):
        campaign = by_id.get(creative.campaign_id)
        if campaign is None:
            raise InputError(
                f"creatives[{i}] ({creative.creative_id!r}) names campaign "
                f"{creative.campaign_id!r}, which is not among the campaigns"
            )
        if campaign.budget_minor == 0 or not matches_targeting(campaign, segments):
            continue
        bid = effective_bid_per_second(
            campaign, predicted_seconds=float(seconds[i]), predicted_clicks=float(clicks[i])
        )
        state = pacing.get(campaign.campaign_id)
        bids[i] = bid if state is None else pace_bid(state, bid)
    bids.flags.writeable = False
    seconds.flags.writeable = False
    return AuctionBids(
        creative_ids=tuple(c.creative_id for c in creatives), bids=bids, qualities=seconds
    )


def charge_minor(price_per_second: float, attentive_ms: int) -> int:
    """The charge, in whole minor units, for ``attentive_ms`` at a price per second.

    The product is taken exactly on the decimal values the two numbers print as
    (so 0.29 × 100 s is 29, not 28.999… as in binary floats) and rounded down: a
    charge never exceeds price × attention, and the fraction of a minor unit left over
    is the advertiser's.

    Examples
    --------
    >>> charge_minor(0.29, 100_000)
    29
    >>> charge_minor(0.45, 9_999)
    4
    """
    if not math.isfinite(price_per_second) or price_per_second < 0:
        raise InputError(f"price_per_second is {price_per_second!r}; it must be finite and ≥ 0")
    if isinstance(attentive_ms, bool) or not isinstance(attentive_ms, int) or attentive_ms < 0:
        raise InputError(f"attentive_ms is {attentive_ms!r}; it must be an integer ≥ 0")
    exact = Fraction(repr(float(price_per_second))) * attentive_ms / MS_PER_SECOND
    return math.floor(exact)


def _per_creative(name: str, values: npt.ArrayLike, n: int) -> npt.NDArray[np.float64]:
    array = np.array(values, dtype=np.float64)
    if array.shape != (n,):
        raise InputError(f"{name} has shape {array.shape}; give one value per creative ({n})")
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0.0))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{name}[{i}] is {float(array[i])!r}; {name} must be finite and ≥ 0")
    return array
