"""SASRec: seeded training, the dwell head, the window it reads, early stopping, parameters."""

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mindshare.core import InputError
from mindshare.datasets import Interactions
from mindshare.evaluation import rank_held_out
from mindshare.models import AttentionModel, create_model
from mindshare.models._sasrec import SASRec
from mindshare.models._sequence import GAP_TOKENS, lr_factors, time_gap_tokens

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


def test_gap_tokens_mark_first_items_shared_seconds_and_doublings() -> None:
    world = Interactions.from_arrays(
        name="gaps",
        users=["a"] * 5 + ["b"] * 2,
        items=["i0", "i1", "i2", "i3", "i4", "i0", "i1"],
        ts=[100, 100, 101, 104, 10**10, 50, 50],
    )
    assert time_gap_tokens(world).tolist() == [1, 2, 3, 4, GAP_TOKENS - 1, 1, 2]


def gap_world() -> Interactions:
    """Twenty people read a0..a4 in one second, then x an hour later; twenty read it as a binge."""
    users: list[str] = []
    items: list[str] = []
    ts: list[int] = []
    for fan in range(20):
        users += [f"slow{fan}"] * 6 + [f"binge{fan}"] * 6
        items += ["a0", "a1", "a2", "a3", "a4", "x", "a0", "a1", "a2", "a3", "a4", "y"]
        ts += [0, 0, 0, 0, 0, 3600, 0, 1, 2, 3, 4, 5]
    return Interactions.from_arrays(name="gaps", users=users, items=items, ts=ts)


def test_time_gaps_let_the_same_items_read_apart_predict_differently() -> None:
    world = gap_world()
    probe = Interactions.from_arrays(
        name="probe",
        users=["slow"] * 5 + ["binge"] * 5,
        items=["a0", "a1", "a2", "a3", "a4"] * 2,
        ts=[0, 0, 0, 0, 0, 0, 1, 2, 3, 4],
        item_ids=world.item_ids.tolist(),
    )
    scores = {}
    for time_gaps in (False, True):
        # one order: the slow prefix's other orders would read differently anyway
        model = SASRec(seed=0, time_gaps=time_gaps, tied_orders=1, **SMALL).fit(world)
        scores[time_gaps] = model.score_indices(np.arange(2), probe)
    np.testing.assert_allclose(scores[False][0], scores[False][1], rtol=1e-5, atol=1e-6)
    x, y = world.item_index("x"), world.item_index("y")
    assert scores[True][0, x] > scores[True][0, y]
    assert scores[True][1, y] > scores[True][1, x]


def test_the_cosine_schedule_warms_up_for_an_epoch_then_decays_to_zero() -> None:
    factors = lr_factors("cosine", steps_per_epoch=4, epochs=3)
    assert factors[:4] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert factors[4] == pytest.approx(1.0)
    assert all(a > b for a, b in itertools.pairwise(factors[4:]))
    assert factors[-1] < 0.05
    assert lr_factors("constant", steps_per_epoch=4, epochs=3) == [1.0] * 12


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
        {"tied_orders": 0},
        {"ema_decay": 1.0},
        {"schedule": "linear"},
    ],
)
def test_bad_hyperparameters_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="sasrec needs"):
        SASRec(**params)


def test_unknown_hyperparameters_are_refused() -> None:
    with pytest.raises(InputError, match="bad parameters"):
        create_model("sasrec", width=64)


def test_without_an_item_bias_every_item_keeps_a_zero_bias() -> None:
    plain = SASRec(seed=0, item_bias=False, **SMALL).fit(launch_world(probes=True))
    biased = SASRec(seed=0, **SMALL).fit(launch_world(probes=True))
    assert plain.net_ is not None
    assert biased.net_ is not None
    assert plain.net_.item_bias.abs().max().item() == 0.0
    assert biased.net_.item_bias.abs().max().item() > 0.0
    assert plain.recommend(["early-fan"], k=1)[0][0, 0] == "x"


def test_with_weight_averaging_the_kept_weights_are_the_best_validation_epochs() -> None:
    world = launch_world()
    valid = np.full(world.n_users, -1, np.int64)
    valid[: world.n_users // 2] = world.item_index("x") or 0
    model = SASRec(seed=0, patience=3, ema_decay=0.9, **SMALL).fit(world, valid=valid)
    users = np.flatnonzero(valid >= 0)
    ndcg = rank_held_out(model.score_indices, world, world, valid, users).metrics((10,))
    assert ndcg["ndcg@10"] == pytest.approx(max(e["valid_ndcg@10"] for e in model.history_))


def one_second_world() -> Interactions:
    """Thirty people each read a0..a4 at one time, always in that order in the file."""
    return Interactions.from_arrays(
        name="one-second",
        users=[f"p{person}" for person in range(30) for _ in range(5)],
        items=["a0", "a1", "a2", "a3", "a4"] * 30,
        ts=[0] * 150,
    )


def test_shuffled_ties_learn_a_timestamp_as_a_set_not_the_file_order() -> None:
    world = one_second_world()
    probe = Interactions.from_arrays(
        name="probe", users=["p", "p"], items=["a0", "a1"], ts=[0, 0], item_ids=world.item_ids
    )
    a2, a3, a4 = (world.item_index(item) for item in ("a2", "a3", "a4"))
    lead = {}
    for shuffle_ties in (False, True):
        # scored in the file's order only: this is about what training learns
        model = SASRec(seed=0, shuffle_ties=shuffle_ties, tied_orders=1, **SMALL).fit(world)
        scores = model.score_indices(np.arange(1), probe)[0]
        lead[shuffle_ties] = scores[a2] - max(scores[a3], scores[a4])
    assert lead[False] > 2.0  # the file's order: a2 comes next
    assert abs(lead[True]) < lead[False] / 4  # a2, a3 and a4 are equally likely next


def test_data_without_ties_trains_the_same_model_with_or_without_shuffling() -> None:
    world = launch_world()
    plain = SASRec(seed=0, shuffle_ties=False, **SMALL).fit(world).score(["fan1", "cook2"])
    shuffled = SASRec(seed=0, shuffle_ties=True, **SMALL).fit(world).score(["fan1", "cook2"])
    np.testing.assert_array_equal(plain, shuffled)


def test_scoring_over_many_orders_of_a_timestamp_reads_its_items_as_a_set() -> None:
    # trained on the file's order, the model tells a0, a1 from a1, a0; averaged over
    # random orders of the run, the two prefixes read (nearly) alike
    world = one_second_world()
    model = SASRec(seed=0, shuffle_ties=False, **SMALL).fit(world)
    probes = Interactions.from_arrays(
        name="probes",
        users=["forward", "forward", "backward", "backward"],
        items=["a0", "a1", "a1", "a0"],
        ts=[0, 0, 0, 0],
        item_ids=world.item_ids,
    )
    gap = {}
    for orders in (1, 200):
        model.tied_orders = orders
        forward, backward = model.score_indices(np.arange(2), probes)
        gap[orders] = np.abs(forward - backward).max()
    assert gap[1] > 1.0
    assert gap[200] < gap[1] / 4


def mixed_world() -> Interactions:
    """Thirty people read a0..a4 at one time, ten read b0..b4 a second apart."""
    return Interactions.from_arrays(
        name="mixed",
        users=[f"p{n}" for n in range(30) for _ in range(5)]
        + [f"q{n}" for n in range(10) for _ in range(5)],
        items=["a0", "a1", "a2", "a3", "a4"] * 30 + ["b0", "b1", "b2", "b3", "b4"] * 10,
        ts=[0] * 150 + [0, 1000, 2000, 3000, 4000] * 10,
    )


def test_more_orders_change_only_the_prefixes_with_items_at_one_time() -> None:
    model = SASRec(seed=0, tied_orders=1, **SMALL).fit(mixed_world())
    people = ["p1", "q1", "p2", "q2"]
    once = model.score(people)
    model.tied_orders = 4
    averaged = model.score(people)
    np.testing.assert_array_equal(averaged[[1, 3]], once[[1, 3]])  # untouched, bit for bit
    assert np.abs(averaged[[0, 2]] - once[[0, 2]]).max() > 1e-3


def test_a_persons_scores_over_random_orders_do_not_depend_on_who_else_is_scored() -> None:
    model = SASRec(seed=0, tied_orders=4, **SMALL).fit(one_second_world())
    alone = model.score(["p1"])[0]
    np.testing.assert_array_equal(model.score(["p1", "p2"]), model.score(["p1", "p2"]))
    np.testing.assert_allclose(model.score(["p3", "p1", "p2"])[1], alone, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.score(["p2", "p1"])[1], alone, rtol=1e-5, atol=1e-5)


def test_saved_and_loaded_a_model_scores_the_same_orders(tmp_path: Path) -> None:
    model = SASRec(seed=0, tied_orders=3, **SMALL).fit(one_second_world())
    loaded = AttentionModel.load(model.save(tmp_path / "sasrec"))
    assert isinstance(loaded, SASRec)
    assert loaded.tied_orders == 3
    np.testing.assert_array_equal(loaded.score(["p1", "p2"]), model.score(["p1", "p2"]))


def test_a_model_saved_before_tied_orders_existed_loads_reading_the_file_order(
    tmp_path: Path,
) -> None:
    model = SASRec(seed=0, **SMALL).fit(one_second_world())
    directory = model.save(tmp_path / "sasrec")
    meta = json.loads((directory / "model.json").read_text())
    del meta["params"]["tied_orders"]
    (directory / "model.json").write_text(json.dumps(meta))
    loaded = AttentionModel.load(directory)
    assert isinstance(loaded, SASRec)
    assert loaded.tied_orders == 1
    model.tied_orders = 1
    np.testing.assert_array_equal(loaded.score(["p1"]), model.score(["p1"]))
