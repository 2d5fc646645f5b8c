"""Multi-slot ad auctions ranked by bid × predicted attention: GSP, VCG and first price.

Conventions, shared by every mechanism:

* Bidder ``i`` bids ``bids[i]`` per attentive second and has quality ``qualities[i]``,
  the attentive seconds it is predicted to earn in a slot of weight 1. Its ranking
  score is ``bids[i] * qualities[i]``.
* Slot ``k`` delivers ``slot_weights[k] * qualities[i]`` attentive seconds to the
  bidder that wins it. Slot weights are non-negative and non-increasing (slot 0 is
  the best), so ranking by score maximises the declared value of the page.
* A bidder is eligible when its bid is at least the reserve and its score is positive
  (a zero bid or a zero quality never wins). Eligible bidders fill the slots in order
  of score; ties go to the lower index. Slots left over are unfilled: winner ``-1``,
  price ``0``.
* Prices are per attentive second, so the winner of slot ``k`` pays
  ``price * slot_weights[k] * quality`` in expectation; ``revenue`` sums that.
"""

import numbers
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError

Mechanism = Literal["gsp", "vcg", "first"]
MECHANISMS: tuple[Mechanism, ...] = get_args(Mechanism)


@dataclass(frozen=True, slots=True)
class SlotOutcome:
    """One slot of an auction, in words a person can check: who won, with what, at what."""

    slot: int
    #: Index of the winning bidder, ``-1`` when the slot went unfilled.
    winner: int
    #: The winner's ranking score, bid × quality (0 when unfilled).
    score: float
    #: Price per attentive second the winner pays (0 when unfilled).
    price: float
    #: Attentive seconds the slot is expected to deliver: slot weight × quality.
    attention: float
    #: Expected payment: price × attention.
    payment: float


@dataclass(frozen=True, slots=True, eq=False)
class AuctionResult:
    """The outcome of one auction: a winner and a price per slot, and why.

    Every array is read-only. Per-slot arrays have one entry per slot, best slot
    first; per-bidder arrays one per bidder, in input order.
    """

    mechanism: Mechanism
    reserve: float
    #: Per slot: index of the winning bidder, ``-1`` for an unfilled slot.
    winners: npt.NDArray[np.int64]
    #: Per slot: price per attentive second the winner pays (0 for an unfilled slot).
    prices: npt.NDArray[np.float64]
    #: Per slot: expected attentive seconds delivered to the winner (slot weight × quality).
    attention: npt.NDArray[np.float64]
    #: Per bidder: the ranking score, bid × quality.
    ranking_scores: npt.NDArray[np.float64]
    #: Per bidder: whether it could win at all (bid ≥ reserve and a positive score).
    eligible: npt.NDArray[np.bool_]

    @property
    def payments(self) -> npt.NDArray[np.float64]:
        """Per slot: the winner's expected payment, price × attention."""
        payments: npt.NDArray[np.float64] = self.prices * self.attention
        return payments

    @property
    def revenue(self) -> float:
        """The auction's expected revenue: the sum of every slot's expected payment."""
        return float(self.payments.sum())

    def slots(self) -> tuple[SlotOutcome, ...]:
        """The outcome slot by slot, for explanations and logs."""
        payments = self.payments
        return tuple(
            SlotOutcome(
                slot=k,
                winner=int(winner),
                score=float(self.ranking_scores[winner]) if winner >= 0 else 0.0,
                price=float(self.prices[k]),
                attention=float(self.attention[k]),
                payment=float(payments[k]),
            )
            for k, winner in enumerate(self.winners.tolist())
        )


def run_auction(
    bids: npt.ArrayLike,
    qualities: npt.ArrayLike,
    slot_weights: npt.ArrayLike,
    *,
    mechanism: Mechanism = "gsp",
    reserve: float = 0.0,
) -> AuctionResult:
    """Allocate slots by bid × quality and price them by GSP, VCG or first price.

    Eligible bidders (bid ≥ ``reserve``, positive score) fill the slots in order of
    score, ties to the lower index. With ``s`` the scores in rank order, ``q`` the
    winner's quality and ``w`` the slot weights (``w[K] = 0``), the winner of slot
    ``k`` pays per attentive second:

    * ``"gsp"`` (Edelman, Ostrovsky & Schwarz 2007; Varian 2007):
      ``max(s[k+1] / q, reserve)``, the least bid that keeps its slot;
    * ``"vcg"``: its total payment is the externality it imposes on the bidders below
      it, with the reserve acting as a competing bid of ``reserve`` per second:
      ``sum_{j>=k} (w[j] - w[j+1]) * max(s[j+1], reserve * q)``, divided by the
      ``w[k] * q`` seconds it receives (for a slot of weight 0, the GSP price, the
      limit as the weight goes to 0);
    * ``"first"``: its own bid.

    A missing ``s[j+1]`` (fewer eligible bidders than slots) counts as 0. GSP and VCG
    prices lie between the reserve and the winner's bid, and for the same bids VCG
    never charges more than GSP.

    Parameters
    ----------
    bids
        Bid per attentive second of each bidder, finite and ≥ 0.
    qualities
        Predicted attentive seconds of each bidder in a slot of weight 1, finite and ≥ 0.
    slot_weights
        One weight per slot, best first: finite, ≥ 0, non-increasing; at least one.
    mechanism
        ``"gsp"``, ``"vcg"`` or ``"first"``.
    reserve
        Least price per attentive second, finite and ≥ 0; lower bids cannot win.

    Returns
    -------
    AuctionResult
        Winners and prices per slot; ``revenue`` is the expected payment.

    Raises
    ------
    InputError
        When an input is not as above; the message names the field and the index.

    Examples
    --------
    >>> result = run_auction([10.0, 4.0, 2.0], [1.0, 1.0, 1.0], [200.0, 100.0])
    >>> result.winners.tolist(), result.prices.tolist(), result.revenue
    ([0, 1], [4.0, 2.0], 1000.0)
    >>> run_auction([10.0, 4.0, 2.0], [1.0, 1.0, 1.0], [200.0, 100.0], mechanism="vcg").prices
    array([3., 2.])
    """
    bid = _vector("bids", bids)
    quality = _vector("qualities", qualities)
    weight = _vector("slot_weights", slot_weights)
    _check_auction_inputs(bid, quality, weight, mechanism=mechanism, reserve=reserve)

    scores = _scores(bid, quality)
    eligible = (bid >= reserve) & (scores > 0.0)
    n_slots = weight.size
    ranked = _top_ranked(scores, eligible, n_slots + 1)
    n_filled = min(n_slots, ranked.size)
    winners_filled = ranked[:n_filled]

    # Score of the bidder ranked just below each slot, 0 past the last eligible bidder.
    next_scores = np.zeros(n_slots, dtype=np.float64)
    below_first = ranked[1:]
    next_scores[: below_first.size] = scores[below_first]

    winner_bid = bid[winners_filled]
    winner_quality = quality[winners_filled]
    if mechanism == "gsp":
        price = np.maximum(next_scores[:n_filled] / winner_quality, reserve)
    elif mechanism == "vcg":
        price = _vcg_prices(next_scores, weight, winner_quality, reserve)
    else:
        price = winner_bid.copy()
    # Mathematically within [reserve, bid]; the clip only absorbs float rounding.
    price = np.clip(price, reserve, winner_bid)

    winners = np.full(n_slots, -1, dtype=np.int64)
    winners[:n_filled] = winners_filled
    prices = np.zeros(n_slots, dtype=np.float64)
    prices[:n_filled] = price
    attention = np.zeros(n_slots, dtype=np.float64)
    attention[:n_filled] = weight[:n_filled] * winner_quality
    for array in (winners, prices, attention, scores, eligible):
        array.flags.writeable = False
    return AuctionResult(
        mechanism=mechanism,
        reserve=float(reserve),
        winners=winners,
        prices=prices,
        attention=attention,
        ranking_scores=scores,
        eligible=eligible,
    )


def _scores(
    bid: npt.NDArray[np.float64], quality: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """bid × quality per bidder, or an InputError naming the first product that overflows."""
    if bid.size == 0 or float(bid.max()) * float(quality.max()) < np.inf:
        scores: npt.NDArray[np.float64] = bid * quality
        return scores
    with np.errstate(over="ignore"):
        i = int(np.flatnonzero(~np.isfinite(bid * quality))[0])
    raise InputError(
        f"bids[{i}] × qualities[{i}] = {float(bid[i])!r} × {float(quality[i])!r} "
        "overflows; scale bids or qualities down"
    )


def _top_ranked(
    scores: npt.NDArray[np.float64], eligible: npt.NDArray[np.bool_], n: int
) -> npt.NDArray[np.int64]:
    """Indices of the ``n`` best eligible bidders, best first, ties to the lower index."""
    candidates = np.flatnonzero(eligible)
    if candidates.size > n:
        # Keep every bidder scoring at least the n-th best, ties included, so that the
        # stable sort below still sees all of them and breaks ties by index.
        cutoff = np.partition(scores[candidates], candidates.size - n)[candidates.size - n]
        candidates = candidates[scores[candidates] >= cutoff]
    order = np.argsort(-scores[candidates], kind="stable")
    top: npt.NDArray[np.int64] = candidates[order[:n]].astype(np.int64)
    return top


def _vcg_prices(
    next_scores: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    winner_quality: npt.NDArray[np.float64],
    reserve: float,
) -> npt.NDArray[np.float64]:
    """VCG price per attentive second of each filled slot (see ``run_auction``)."""
    n_filled = winner_quality.size
    drop = weight.copy()  # w[j] - w[j+1], ≥ 0, with w[K] = 0
    drop[:-1] -= weight[1:]
    # thresholds[k, j]: per unit of slot weight, what the winner of slot k must beat to
    # hold slot j instead of slot j + 1: the bidder then ranked j + 1, or the reserve.
    # Only j ≥ k counts, hence the upper triangle.
    thresholds = np.maximum(next_scores[None, :], reserve * winner_quality[:, None])
    payment = np.triu(thresholds * drop[None, :]).sum(axis=1)
    own_weight = weight[:n_filled]
    filled = np.arange(n_filled)
    prices: npt.NDArray[np.float64] = thresholds[filled, filled]  # the limit at weight 0
    np.divide(payment, own_weight, out=prices, where=own_weight > 0.0)
    prices /= winner_quality
    return prices


def _vector(name: str, values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``values`` as a 1-D float array, or an InputError naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"{name} must be a sequence of numbers: {error}") from None
    if array.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _check_auction_inputs(
    bid: npt.NDArray[np.float64],
    quality: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    *,
    mechanism: str,
    reserve: float,
) -> None:
    """Raise an InputError naming the first field, and index, that is not as documented."""
    if mechanism not in MECHANISMS:
        raise InputError(f"mechanism is {mechanism!r}; it must be one of {', '.join(MECHANISMS)}")
    if bid.size != quality.size:
        raise InputError(
            f"bids has {bid.size} entries but qualities has {quality.size}; "
            "give one quality per bid"
        )
    if weight.size == 0:
        raise InputError("slot_weights is empty; an auction needs at least one slot")
    for name, array in (("bids", bid), ("qualities", quality), ("slot_weights", weight)):
        _check_finite_non_negative(name, array)
    rises = weight[1:] > weight[:-1]
    if rises.any():
        k = int(np.flatnonzero(rises)[0]) + 1
        raise InputError(
            f"slot_weights[{k}] is {float(weight[k])!r}, above slot_weights[{k - 1}] = "
            f"{float(weight[k - 1])!r}; slot weights must be non-increasing (best slot first)"
        )
    if not isinstance(reserve, numbers.Real) or isinstance(reserve, bool):
        raise InputError(f"reserve is {reserve!r}; it must be a number")
    if not np.isfinite(reserve) or reserve < 0:
        raise InputError(f"reserve is {reserve!r}; reserve must be finite and ≥ 0")


def _check_finite_non_negative(name: str, array: npt.NDArray[np.float64]) -> None:
    if array.size == 0 or (array.min() >= 0.0 and array.max() < np.inf):
        return  # the common case, in two reductions; a NaN fails the first
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{name}[{i}] is {float(array[i])!r}; {name} must be finite")
    bad = np.flatnonzero(array < 0.0)
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{name}[{i}] is {float(array[i])!r}; {name} must be ≥ 0")
