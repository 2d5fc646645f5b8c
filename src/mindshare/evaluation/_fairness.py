"""What an allocation did to attention: how much it delivered and how fairly it spread it.

Feeds are integer arrays (people × slots) of item indices, -1 for an empty slot;
``weights`` is the exposure of each slot (e.g. ``allocation.position_exposure``).
"""

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _check_feeds(feeds: npt.ArrayLike, weights: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
    lists = np.asarray(feeds, dtype=np.int64)
    slot_weights = np.asarray(weights, dtype=np.float64)
    if lists.ndim != 2:
        raise InputError(f"feeds must be people × slots, got shape {lists.shape}")
    if slot_weights.shape != (lists.shape[1],):
        raise InputError(f"weights has {slot_weights.size} entries for {lists.shape[1]} slots")
    return lists, slot_weights


def item_exposure(feeds: npt.ArrayLike, weights: npt.ArrayLike, n_items: int) -> FloatArray:
    """Total exposure each item received: the sum of the weights of the slots it filled."""
    lists, slot_weights = _check_feeds(feeds, weights)
    shown = lists >= 0
    if shown.any() and lists[shown].max() >= n_items:
        raise InputError(f"feeds name item {int(lists[shown].max())} of a {n_items}-item catalogue")
    per_slot = np.broadcast_to(slot_weights, lists.shape)
    return np.bincount(lists[shown], weights=per_slot[shown], minlength=n_items).astype(np.float64)


def expected_attention(
    feeds: npt.ArrayLike, weights: npt.ArrayLike, attention: npt.ArrayLike
) -> float:
    """Mean attention per person the feeds are expected to earn: Σ weight × attention.

    ``attention`` is people × items (predicted or true attention of each item for
    each person).
    """
    lists, slot_weights = _check_feeds(feeds, weights)
    values = np.asarray(attention, dtype=np.float64)
    if values.shape[0] != lists.shape[0]:
        raise InputError(f"attention has {values.shape[0]} rows for {lists.shape[0]} feeds")
    rows = np.arange(lists.shape[0])[:, None]
    gained = np.where(lists >= 0, values[rows, np.maximum(lists, 0)], 0.0) * slot_weights
    return float(gained.sum(axis=1).mean()) if len(lists) else 0.0


def group_totals(values: npt.ArrayLike, groups: npt.ArrayLike, n_groups: int) -> FloatArray:
    """Sum of per-item ``values`` within each group (e.g. item exposure per creator)."""
    group_of = np.asarray(groups, dtype=np.int64)
    amounts = np.asarray(values, dtype=np.float64)
    if group_of.shape != amounts.shape:
        raise InputError(f"groups has {group_of.size} entries for {amounts.size} values")
    return np.bincount(group_of, weights=amounts, minlength=n_groups).astype(np.float64)


def exposure_disparity(exposure: npt.ArrayLike, merit: npt.ArrayLike) -> float:
    """Disparate exposure (Singh & Joachims 2018), averaged over pairs of groups.

    Each group's exposure share divided by its merit share should be equal across
    groups (1 when exposure is proportional to merit). This is the mean absolute
    difference of those ratios over all pairs of groups with merit, as in FairCo's
    evaluation: 0 is perfectly fair. Shares make it independent of units.
    """
    got = np.asarray(exposure, dtype=np.float64)
    deserved = np.asarray(merit, dtype=np.float64)
    if got.shape != deserved.shape:
        raise InputError(f"exposure has {got.size} groups and merit {deserved.size}")
    if (got < 0).any() or (deserved < 0).any():
        raise InputError("exposure and merit must not be negative")
    has_merit = deserved > 0
    if has_merit.sum() < 2 or got.sum() == 0:
        return 0.0
    ratio = (got[has_merit] / got.sum()) / (deserved[has_merit] / deserved.sum())
    pairs = np.abs(ratio[:, None] - ratio[None, :])
    n = len(ratio)
    return float(pairs.sum() / (n * (n - 1)))


def lorenz_curve(values: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Lorenz curve: population share (poorest first) against their share of the total.

    Both arrays start at 0 and end at 1; the Gini coefficient is one minus twice the
    area under the curve.
    """
    amounts = np.sort(np.asarray(values, dtype=np.float64))
    if (amounts < 0).any():
        raise InputError("Lorenz curves need non-negative values")
    population = np.linspace(0.0, 1.0, len(amounts) + 1)
    total = amounts.sum()
    cumulative = np.concatenate([[0.0], np.cumsum(amounts)])
    share = cumulative / total if total > 0 else population.copy()
    return population, share


def envy(feeds: npt.ArrayLike, weights: npt.ArrayLike, attention: npt.ArrayLike) -> float:
    """Mean envy: how much more attention each person would get from the best other feed.

    Person u's utility for a feed is Σ weight × attention[u, item]; envy of u is the
    largest gain from swapping feeds with anyone, or 0 (Ben-Porat & Tennenholtz; as used
    for recommendation by Do et al. 2022). Quadratic in the number of people.
    """
    lists, slot_weights = _check_feeds(feeds, weights)
    values = np.asarray(attention, dtype=np.float64)
    if values.shape[0] != lists.shape[0]:
        raise InputError(f"attention has {values.shape[0]} rows for {lists.shape[0]} feeds")
    if len(lists) == 0:
        return 0.0
    shown = lists >= 0
    safe = np.maximum(lists, 0)
    # utility[u, v]: person u's attention from person v's feed.
    utility = (values[:, safe] * (shown * slot_weights)[None, :, :]).sum(axis=2)
    own = np.diag(utility)
    return float(np.maximum(utility.max(axis=1) - own, 0.0).mean())


def new_creator_exposure_share(creator_exposure: npt.ArrayLike, is_new: npt.ArrayLike) -> float:
    """Share of all creator exposure that went to new creators."""
    exposure = np.asarray(creator_exposure, dtype=np.float64)
    new = np.asarray(is_new, dtype=bool)
    if exposure.shape != new.shape:
        raise InputError(f"is_new has {new.size} entries for {exposure.size} creators")
    total = exposure.sum()
    return float(exposure[new].sum() / total) if total > 0 else 0.0
