"""FusionModel: items scored from their content, views that are absent, saved text vectors."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mindshare.core import InputError
from mindshare.datasets import Interactions
from mindshare.models import AttentionModel
from mindshare.models._fusion import COLD_BOOSTS, VIEWS, FusionModel, largest_within

SPACE = "space rocket launch orbit astronaut mission"
SMALL: dict[str, Any] = {"epochs": 30, "hidden": 16, "max_len": 8, "batch_size": 16}
#: Items nobody has interacted with: one about space, the others about anything else.
UNSEEN = {
    "new-launch": f"{SPACE} to the moon",
    "knitting": "knitting wool scarf pattern",
    "tax": "income tax return deadline form",
    "gardening": "tomato garden compost soil",
    "opera": "opera aria soprano orchestra",
    "bare": "",
}


def space_world(*, features: bool = True) -> Interactions:
    """Twenty fans watch launches a0..a4 then x; ten cooks watch recipes; six items are unseen."""
    users: list[str] = []
    items: list[str] = []
    for fan in range(20):
        users += [f"fan{fan}"] * 6
        items += ["a0", "a1", "a2", "a3", "a4", "x"]
    for cook in range(10):
        users += [f"cook{cook}"] * 5
        items += [f"b{(cook + n) % 10}" for n in range(5)]
    seen = [f"a{n}" for n in range(5)] + ["x"] + [f"b{n}" for n in range(10)]
    text = {i: f"{SPACE} {i}" for i in seen if i[0] in "ax"}
    text |= {i: f"cooking recipe kitchen pasta sauce {i}" for i in seen if i[0] == "b"}
    catalogue = seen + list(UNSEEN)
    return Interactions.from_arrays(
        name="space",
        users=users,
        items=items,
        ts=np.arange(len(users)),
        item_ids=catalogue,
        item_text=text | UNSEEN,
        item_features={i: [float(n), 1.0] for n, i in enumerate(catalogue)} if features else None,
        feature_names=("order", "constant") if features else (),
    )


@pytest.fixture(scope="module")
def fitted() -> FusionModel:
    return FusionModel(seed=0, **SMALL).fit(space_world())


def test_an_unseen_item_is_scored_from_its_text(fitted: FusionModel) -> None:
    scores = fitted.score(["fan0"], items=list(UNSEEN))[0]
    assert scores[0] > scores[1:].max()


def test_views_weigh_only_what_an_item_has(fitted: FusionModel) -> None:
    weights = fitted.fusion_weights()
    catalogue = fitted.data.item_ids.tolist()
    assert weights.shape == (len(catalogue), len(VIEWS))
    unseen = np.isin(catalogue, list(UNSEEN))
    np.testing.assert_array_equal(weights[unseen, 0], 0.0)  # no interactions: no id view
    assert weights[catalogue.index("bare"), 1] == 0.0  # no text: no text view
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)


def test_an_item_with_no_view_at_all_gets_finite_scores() -> None:
    model = FusionModel(seed=0, **SMALL).fit(space_world(features=False))
    weights = model.fusion_weights()
    bare = model.data.item_index("bare")
    assert weights[bare].tolist() == [0.0, 0.0, 0.0]
    assert np.isfinite(model.score(["fan0", "cook0"])).all()


def test_the_same_seed_trains_the_same_model() -> None:
    world = space_world()
    first = FusionModel(seed=5, **SMALL).fit(world).score(["fan1", "cook2"])
    again = FusionModel(seed=5, **SMALL).fit(world).score(["fan1", "cook2"])
    np.testing.assert_array_equal(first, again)


def test_loading_needs_no_sentence_model(
    fitted: FusionModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted.save(tmp_path / "fusion")

    def no_sentence_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("load must not embed text again")

    monkeypatch.setattr("mindshare.models._fusion.embed_texts", no_sentence_model)
    loaded = AttentionModel.load(tmp_path / "fusion")
    assert isinstance(loaded, FusionModel)
    np.testing.assert_array_equal(loaded.score(["fan0"]), fitted.score(["fan0"]))


def test_the_cold_boost_lifts_rare_items_whose_text_matches_the_history() -> None:
    world = space_world()
    plain = FusionModel(seed=0, cold_boost=0.0, **SMALL).fit(world)
    boosted = FusionModel(seed=0, cold_boost=8.0, **SMALL).fit(world)
    lift = boosted.score(["fan0"])[0] - plain.score(["fan0"])[0]
    catalogue = world.item_ids.tolist()
    assert lift[catalogue.index("new-launch")] > lift[catalogue.index("knitting")] + 1.0
    assert abs(lift[catalogue.index("x")]) < 0.1 * lift[catalogue.index("new-launch")]


def test_without_a_cold_boost_validation_chooses_one_and_records_it() -> None:
    world = space_world()
    valid = np.full(world.n_users, -1, np.int64)
    valid[:5] = world.item_index("x") or 0
    tuned = FusionModel(seed=0, **SMALL).fit(world, valid=valid)
    untuned = FusionModel(seed=0, **SMALL).fit(world)
    assert tuned.params["cold_boost"] in COLD_BOOSTS
    assert untuned.params["cold_boost"] == 0.0


def test_the_largest_boost_within_the_tolerance_of_the_best_is_chosen() -> None:
    ndcg = {0.0: 0.100, 4.0: 0.1001, 8.0: 0.0992, 16.0: 0.0980}
    assert largest_within(ndcg, 0.0) == 4.0  # strict: the best alone
    assert largest_within(ndcg, 0.01) == 8.0  # 0.0992 >= 0.1001 * 0.99 = 0.099099
    assert largest_within(ndcg, 0.05) == 16.0


@pytest.mark.parametrize("cold_tolerance", [-0.1, 1.0])
def test_a_bad_cold_tolerance_is_refused(cold_tolerance: float) -> None:
    with pytest.raises(InputError, match="cold_tolerance"):
        FusionModel(cold_tolerance=cold_tolerance)


@pytest.mark.parametrize("cold_boost", [-1.0, float("nan")])
def test_a_bad_cold_boost_is_refused(cold_boost: float) -> None:
    with pytest.raises(InputError, match="cold_boost"):
        FusionModel(cold_boost=cold_boost)


@pytest.mark.parametrize("id_dropout", [-0.1, 1.0])
def test_a_bad_id_dropout_is_refused(id_dropout: float) -> None:
    with pytest.raises(InputError, match="id_dropout"):
        FusionModel(id_dropout=id_dropout)


def test_bad_shared_hyperparameters_are_refused() -> None:
    with pytest.raises(InputError, match="fusion needs"):
        FusionModel(hidden=10, heads=3)
