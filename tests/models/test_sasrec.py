"""SASRec: seeded training, the dwell head, the window it reads, early stopping, parameters."""

from typing import Any

import numpy as np
import pytest

from mindshare.core import InputError
from mindshare.datasets import Interactions
from mindshare.evaluation import rank_held_out
from mindshare.models import create_model
from mindshare.models._sasrec import SASRec

SMALL: dict[str, Any] = {"epochs": 25, "hidden": 16, "max_len": 8, "batch_size": 16}


def launch_world(*, weighted: bool = False, probes: bool = False) -> Interactions:
    """Twenty fans watch a0..a4 then x (long dwell on x); ten cooks watch recipes."""
    users: list[str] = []
    items: list[str] = []
    for fan in range(20):
        users += [f"fan{fan}"] * 6
        items += ["a0", "a1", "a2", "a3", "a4", "x"]
    for cook in range(10):
        users += [f"cook{cook}"] * 5
        items += [f"b{(cook + n) % 10}" for n in range(5)]
    if probes:  # two people whose histories differ only before their last three items
        users += ["early-cook"] * 5 + ["early-fan"] * 5
        items += ["b0", "b1", "a2", "a3", "a4", "a0", "a1", "a2", "a3", "a4"]
    weight = [90_000.0 if item == "x" else 2_000.0 for item in items] if weighted else None
    return Interactions.from_arrays(
        name="launches",
        users=users,
        items=items,
        ts=np.arange(len(users)),
        weight=weight,
        item_ids=[f"a{n}" for n in range(5)] + ["x"] + [f"b{n}" for n in range(10)],
    )


def test_the_same_seed_trains_the_same_model() -> None:
    world = launch_world()
    first = SASRec(seed=3, **SMALL).fit(world).score(["fan1", "cook2"])
    again = SASRec(seed=3, **SMALL).fit(world).score(["fan1", "cook2"])
    other = SASRec(seed=4, **SMALL).fit(world).score(["fan1", "cook2"])
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_the_dwell_head_trains_only_when_the_data_has_attention_weights() -> None:
    weighted = SASRec(seed=0, **SMALL).fit(launch_world(weighted=True))
    unweighted = SASRec(seed=0, **SMALL).fit(launch_world())
    assert weighted.dwell_trained_
    assert all(epoch["dwell_loss"] > 0 for epoch in weighted.history_)
    assert not unweighted.dwell_trained_
    assert all(epoch["dwell_loss"] == 0 for epoch in unweighted.history_)
    assert weighted.params == unweighted.params
    assert weighted.score(["fan0"]).shape == unweighted.score(["fan0"]).shape == (1, 16)


def test_a_zero_dwell_weight_leaves_the_dwell_head_untrained() -> None:
    model = SASRec(seed=0, dwell_weight=0.0, **SMALL).fit(launch_world(weighted=True))
    assert not model.dwell_trained_


def test_only_the_last_max_len_items_are_read() -> None:
    world = launch_world(probes=True)
    short = SASRec(seed=1, **SMALL | {"max_len": 3}).fit(world)
    long = SASRec(seed=1, **SMALL | {"max_len": 5}).fit(world)
    short_scores = short.score(["early-cook", "early-fan"])
    long_scores = long.score(["early-cook", "early-fan"])
    np.testing.assert_allclose(short_scores[0], short_scores[1], rtol=1e-5, atol=1e-6)
    assert np.abs(long_scores[0] - long_scores[1]).max() > 1e-3


def test_early_stopping_keeps_the_best_validation_epoch() -> None:
    world = launch_world()
    valid = np.full(world.n_users, -1, np.int64)
    valid[: world.n_users // 2] = world.item_index("x") or 0
    model = SASRec(seed=0, patience=3, **SMALL).fit(world, valid=valid)
    users = np.flatnonzero(valid >= 0)
    ndcg = rank_held_out(model.score_indices, world, world, valid, users).metrics((10,))
    assert ndcg["ndcg@10"] == pytest.approx(max(e["valid_ndcg@10"] for e in model.history_))
    assert len(model.history_) <= SMALL["epochs"]


def test_masked_item_pretraining_runs_before_next_item_training() -> None:
    model = SASRec(seed=0, pretrain_epochs=3, **SMALL).fit(launch_world(probes=True))
    assert [("pretrain_loss" in epoch) for epoch in model.history_[:4]] == [True] * 3 + [False]
    assert model.recommend(["early-fan"], k=1)[0][0, 0] == "x"


@pytest.mark.parametrize(
    "params",
    [
        {"hidden": 0},
        {"hidden": 30, "heads": 4},
        {"max_len": 0},
        {"dropout": 1.0},
        {"lr": 0.0},
        {"epochs": 0},
        {"patience": 0},
        {"label_smoothing": 1.0},
        {"dwell_weight": -1.0},
        {"pretrain_epochs": -1},
        {"mask_prob": 0.0},
        {"horizon": 0},
    ],
)
def test_bad_hyperparameters_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="sasrec needs"):
        SASRec(**params)


def test_unknown_hyperparameters_are_refused() -> None:
    with pytest.raises(InputError, match="bad parameters"):
        create_model("sasrec", width=64)
