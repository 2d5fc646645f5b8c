"""Per-request policies: each one's rule on hand-worked requests, and what no composition breaks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mindshare.allocation import (
    Candidates,
    ExposureState,
    Slate,
    explore,
    fair_exposure,
    greedy,
    minimum_share,
    minimum_share_table,
    mmr,
    position_exposure,
    within_budget,
)
from mindshare.core import InputError


def candidates(attention: list[float], creator: list[int] | None = None, **extra) -> Candidates:
    return Candidates(
        attention=np.array(attention, dtype=float),
        creator=np.array(creator if creator is not None else [0] * len(attention)),
        **extra,
    )


def test_greedy_ranks_by_predicted_attention_and_breaks_ties_by_index() -> None:
    slate = greedy()(candidates([1.0, 3.0, 2.0, 3.0]), 3)
    np.testing.assert_array_equal(slate.order, [1, 3, 2])
    np.testing.assert_array_equal(slate.parts["attention"], [3.0, 3.0, 2.0])


def test_more_slots_than_candidates_fills_what_it_can() -> None:
    assert len(greedy()(candidates([1.0, 2.0]), 5)) == 2
    assert len(greedy()(candidates([]), 5)) == 0
    assert len(greedy()(candidates([1.0]), 0)) == 0


def test_bad_requests_say_what_is_wrong() -> None:
    with pytest.raises(InputError, match=r"attention\[1\] is nan"):
        candidates([1.0, float("nan")])
    with pytest.raises(InputError, match="creator has 1 entries for 2 candidates"):
        candidates([1.0, 2.0], [0])
    with pytest.raises(InputError, match="whole number"):
        greedy()(candidates([1.0]), -1)
    with pytest.raises(InputError, match=r"impressions\[0\] is -1"):
        candidates([1.0], impressions=np.array([-1.0]))


def test_mmr_skips_a_near_duplicate_for_a_different_item() -> None:
    # Items 0 and 1 point the same way; item 2 is orthogonal. With trade_off 0.5 the
    # penalty is the full similarity: slot 2 compares 0.9 - 1.0 with 0.5 - 0.0.
    embedding = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    slate = mmr(0.5)(candidates([1.0, 0.9, 0.5], embedding=embedding), 3)
    np.testing.assert_array_equal(slate.order, [0, 2, 1])
    np.testing.assert_allclose(slate.parts["diversity"], [0.0, 0.0, -1.0])
    assert mmr(1.0)(candidates([1.0, 0.9, 0.5], embedding=embedding), 3).order.tolist() == [
        0,
        1,
        2,
    ]
    with pytest.raises(InputError, match="trade_off"):
        mmr(0.0)


def test_ucb_bonus_shrinks_with_impressions() -> None:
    # std of attention is 0.1; deviations 0.1/sqrt(1) and 0.1/sqrt(101); UCB adds two.
    request = candidates([1.0, 1.2], impressions=np.array([0.0, 100.0]))
    slate = explore(greedy(), method="ucb", strength=2.0)(request, 2)
    np.testing.assert_array_equal(slate.order, [0, 1])
    np.testing.assert_allclose(slate.parts["exploration"], [0.4, 0.4 / np.sqrt(101)])
    assert explore(greedy(), method="ucb", strength=1.0)(request, 1).order.tolist() == [1]


def test_thompson_sampling_sometimes_tries_the_new_item() -> None:
    request = candidates([1.0, 1.1], impressions=np.array([0.0, 10_000.0]))
    policy = explore(greedy(), method="thompson", rng=np.random.default_rng(7))
    firsts = [policy(request, 1).order[0] for _ in range(400)]
    share_new = np.mean(np.array(firsts) == 0)
    # The new item's draw has sd 0.05 around 1.0 against ~1.1: it wins P(Z > 2) ≈ 2.3%.
    assert 0.005 < share_new < 0.06


def test_exposure_state_accumulates_position_weights_and_merit() -> None:
    request = candidates([3.0, 1.0], [0, 1])
    slate = Slate(order=np.array([1, 0]), parts={})
    state = ExposureState.empty(2).after(request, slate, np.array([1.0, 0.5]))
    np.testing.assert_allclose(state.exposure, [0.5, 1.0])
    np.testing.assert_allclose(state.merit, [3.0, 1.0])
    assert state.requests == 1


def test_fairco_boosts_the_group_that_lags_its_merit() -> None:
    # Exposure per merit: group 0 has 10/5 = 2, group 1 has 0/5 = 0: gap 2 for group 1,
    # boost = strength × requests × gap = 0.5 × 4 × 2 = 4.
    state = ExposureState(exposure=np.array([10.0, 0.0]), merit=np.array([5.0, 5.0]), requests=4)
    slate = fair_exposure(greedy(), state, strength=0.5)(candidates([5.0, 2.0], [0, 1]), 2)
    np.testing.assert_array_equal(slate.order, [1, 0])
    np.testing.assert_allclose(slate.parts["fairness"], [4.0, 0.0])


def test_fairco_drives_exposure_toward_merit_over_many_requests() -> None:
    # Group 0 always predicts 1.0, group 1 0.8: greedy gives group 1 nothing; FairCo
    # should give it about its merit share, 0.8 / 1.8 of the single slot's exposure.
    request = candidates([1.0, 1.0, 0.8, 0.8], [0, 0, 1, 1])
    weights = position_exposure(1)
    state = ExposureState.empty(2)
    for _ in range(600):
        slate = fair_exposure(greedy(), state, strength=0.1)(request, 1)
        state = state.after(request, slate, weights)
    share = state.exposure[1] / state.exposure.sum()
    assert share == pytest.approx(0.8 / 1.8, abs=0.02)


def test_fa_ir_table_matches_the_binomial_inverse_cdf() -> None:
    # Binomial(i, 0.5) at alpha 0.1: P(0 of 4) = 1/16 < 0.1, so prefix 4 needs 1;
    # P(≤1 of 7) = 8/128 < 0.1, so prefix 7 needs 2.
    np.testing.assert_array_equal(minimum_share_table(7, 0.5, 0.1), [0, 0, 0, 1, 1, 1, 2])


def test_fa_ir_moves_a_protected_candidate_up_to_meet_the_table() -> None:
    request = candidates(
        [6.0, 5.0, 4.0, 3.0, 2.0, 1.0], protected=np.array([0, 0, 0, 0, 1, 1], dtype=bool)
    )
    slate = minimum_share(greedy(), share=0.5, alpha=0.1)(request, 5)
    np.testing.assert_array_equal(slate.order, [0, 1, 2, 4, 3])
    assert slate.notes == ()


def test_fa_ir_notes_a_shortfall_instead_of_failing() -> None:
    request = candidates([3.0, 2.0, 1.0, 0.5], protected=np.zeros(4, dtype=bool))
    slate = minimum_share(greedy(), share=0.9, alpha=0.1)(request, 4)
    assert len(slate) == 4
    assert "minimum share not met" in slate.notes[0]


def test_budget_cuts_the_feed_where_expected_attention_runs_out() -> None:
    # Each slot is expected to take 1000 ms × [1, 0.631, 0.5]: 1000, 1631, 2131 in all.
    request = candidates([3.0, 2.0, 1.0], dwell_ms=np.full(3, 1000.0))
    assert len(within_budget(greedy(), 1_700)(request, 3)) == 2
    assert len(within_budget(greedy(), 5_000)(request, 3)) == 3
    spent = within_budget(greedy(), 0)(request, 3)
    assert len(spent) == 0
    assert "budget spent" in spent.notes[0]


@st.composite
def requests(draw: st.DrawFn) -> tuple[Candidates, int, float]:
    n = draw(st.integers(0, 12))
    finite = st.floats(-5, 5, allow_nan=False)
    attention = draw(arrays(np.float64, n, elements=finite))
    request = Candidates(
        attention=attention,
        creator=draw(arrays(np.int64, n, elements=st.integers(0, 2))),
        embedding=draw(arrays(np.float64, (n, 3), elements=finite)),
        impressions=draw(arrays(np.float64, n, elements=st.floats(0, 100))),
        protected=draw(arrays(np.bool_, n)),
        dwell_ms=draw(arrays(np.float64, n, elements=st.floats(0, 10_000))),
    )
    return request, draw(st.integers(0, 15)), draw(st.floats(0, 30_000))


@settings(max_examples=150, deadline=None)
@given(requests(), st.integers(0, 4))
def test_no_composition_repeats_an_item_or_overfills_or_overspends(
    request: tuple[Candidates, int, float], seed: int
) -> None:
    candidates_, k, remaining_ms = request
    state = ExposureState(exposure=np.array([3.0, 0.0, 1.0]), merit=np.ones(3), requests=5)
    policy = within_budget(
        minimum_share(
            fair_exposure(explore(mmr(0.6), rng=np.random.default_rng(seed)), state, strength=0.2),
            share=0.3,
        ),
        remaining_ms,
    )
    slate = policy(candidates_, k)
    assert len(set(slate.order.tolist())) == len(slate)
    assert len(slate) <= min(k, len(candidates_))
    assert candidates_.dwell_ms is not None
    expected = candidates_.dwell_ms[slate.order] * position_exposure(len(slate))
    assert expected.sum() <= remaining_ms + 1e-9
    for values in slate.parts.values():
        assert values.shape == (len(slate),)
