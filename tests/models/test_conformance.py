"""The conformance suite: every model honours the one interface the same way.

A tiny world with an obvious answer: thirty space fans each watched launches a0..a4 and
then mission "x"; ten cooks watched recipes (five of them "x" too, so it is also the most
watched item). A newcomer who watched a0..a4 should be
recommended "x" by every model, whatever it learns from (counts, co-occurrence, factors,
text or order).
"""

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mindshare.core import InputError
from mindshare.datasets import Interactions
from mindshare.models import MODEL_CLASSES, ArtifactError, AttentionModel, NotFitted, create_model

SPACE = "space rocket launch orbit astronaut"
COOKING = "cooking recipe kitchen pasta sauce"
#: Small settings so that the suite stays fast; the defaults are for real data.
FAST: dict[str, dict[str, Any]] = {
    "als": {"factors": 8, "iterations": 10},
    "bpr": {"factors": 8, "iterations": 200},
    "sasrec": {"epochs": 40, "hidden": 32, "max_len": 10},
    "fusion": {"epochs": 40, "hidden": 32, "max_len": 10},
    "ensemble": {
        "member_params": {
            "sasrec": {"epochs": 40, "hidden": 32, "max_len": 10},
            "als": {"factors": 8, "iterations": 10},
        }
    },
}


def obvious_world() -> Interactions:
    users, items, stamps = [], [], []
    clock = 0
    for fan in range(30):
        for item in ["a0", "a1", "a2", "a3", "a4", "x"]:
            users.append(f"fan{fan}")
            items.append(item)
            stamps.append(clock := clock + 1)
    for cook in range(10):
        for item in [f"b{(cook + n) % 10}" for n in range(5)] + ["x"] * (cook < 5):
            users.append(f"cook{cook}")
            items.append(item)
            stamps.append(clock := clock + 1)
    users += ["newcomer"] * 5
    items += ["a0", "a1", "a2", "a3", "a4"]
    stamps += [clock + n for n in range(1, 6)]
    catalogue = [f"a{n}" for n in range(5)] + ["x"] + [f"b{n}" for n in range(10)]
    text = {i: f"{SPACE} {i}" for i in catalogue if i[0] in "ax"}
    text |= {i: f"{COOKING} {i}" for i in catalogue if i[0] == "b"}
    return Interactions.from_arrays(
        name="obvious",
        users=users,
        items=items,
        ts=stamps,
        item_ids=catalogue,
        item_text=text,
        item_features={i: [1.0 if i[0] in "ax" else 0.0] for i in catalogue},
        feature_names=("space",),
    )


@pytest.fixture(scope="module")
def world() -> Interactions:
    return obvious_world()


@pytest.fixture(scope="module", params=list(MODEL_CLASSES))
def fitted(request: pytest.FixtureRequest, world: Interactions) -> AttentionModel:
    name: str = request.param
    return create_model(name, seed=7, **FAST.get(name, {})).fit(world)


def test_recommends_the_obvious_item(fitted: AttentionModel) -> None:
    items, scores = fitted.recommend(["newcomer"], k=3)
    assert items[0, 0] == "x", f"{fitted.name} recommended {items[0].tolist()}"
    assert scores[0, 0] >= scores[0, 1] >= scores[0, 2]


def test_recommendations_leave_out_what_was_seen(fitted: AttentionModel) -> None:
    items, _ = fitted.recommend(["newcomer"], k=11)
    assert set(items[0].tolist()) == {"x"} | {f"b{n}" for n in range(10)}


def test_save_and_load_give_identical_scores(fitted: AttentionModel, tmp_path: Path) -> None:
    fitted.save(tmp_path / "artifact")
    loaded = AttentionModel.load(tmp_path / "artifact")
    assert type(loaded) is type(fitted)
    people = ["newcomer", "fan3", "cook4"]
    np.testing.assert_array_equal(loaded.score(people), fitted.score(people))
    assert loaded.params == fitted.params


def test_unknown_people_get_the_popularity_fallback(
    fitted: AttentionModel, world: Interactions
) -> None:
    scores = fitted.score(["nobody-knows-me"])
    np.testing.assert_array_equal(scores[0], world.item_counts().astype(np.float32))
    items, _ = fitted.recommend(["nobody-knows-me"], k=1)
    assert items[0, 0] == "x"  # the most watched item


def test_scores_for_named_items_follow_their_order(fitted: AttentionModel) -> None:
    full = fitted.score(["newcomer"])
    chosen = fitted.score(["newcomer"], items=["b3", "x"])
    assert chosen.tolist() == [[full[0, 6 + 3], full[0, 5]]]


def test_unknown_items_are_refused(fitted: AttentionModel) -> None:
    with pytest.raises(InputError, match="unknown item"):
        fitted.score(["newcomer"], items=["x", "no-such-item"])


@pytest.mark.parametrize("name", list(MODEL_CLASSES))
def test_refuses_to_recommend_before_fit(name: str) -> None:
    model = create_model(name)
    with pytest.raises(NotFitted, match="call fit"):
        model.recommend(["newcomer"], k=3)
    with pytest.raises(NotFitted):
        model.save("never-written")


@pytest.mark.parametrize("name", list(MODEL_CLASSES))
def test_refuses_an_empty_dataset(name: str, world: Interactions) -> None:
    empty = world.subset(np.zeros(len(world), dtype=bool))
    with pytest.raises(InputError, match="no interactions"):
        create_model(name).fit(empty)


def test_load_refuses_a_foreign_or_damaged_artifact(fitted: AttentionModel, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="not a saved Mindshare model"):
        AttentionModel.load(tmp_path)
    (tmp_path / "model.json").write_text('{"format": "something-else"}')
    with pytest.raises(ArtifactError, match="not a Mindshare model artifact"):
        AttentionModel.load(tmp_path)
    fitted.save(tmp_path / "damaged")
    (tmp_path / "damaged" / "state.npz").write_bytes(b"not a zip archive")
    with pytest.raises(ArtifactError, match="damaged"):
        AttentionModel.load(tmp_path / "damaged")


SPACE_ITEMS = {"a0", "a1", "a2", "a3", "a4", "x"}


def test_similar_items_leave_out_the_item_respect_k_and_sort(fitted: AttentionModel) -> None:
    neighbours, scores = fitted.similar_items(["a0", "x", "b3"], k=4)

    assert neighbours.shape == scores.shape == (3, 4)
    for item, row in zip(["a0", "x", "b3"], neighbours.tolist(), strict=True):
        assert item not in row
        assert len(set(row)) == 4
    assert np.all(np.isfinite(scores))
    assert np.all(np.diff(scores, axis=1) <= 0), f"{fitted.name} similarities are not sorted"


def test_similar_items_of_a_launch_are_space_items(fitted: AttentionModel) -> None:
    neighbours, _ = fitted.similar_items(["a0"], k=1)
    assert neighbours[0, 0] in SPACE_ITEMS - {"a0"}, f"{fitted.name}: {neighbours.tolist()}"


def test_similar_items_k_beyond_the_catalogue_lists_every_other_item(
    fitted: AttentionModel, world: Interactions
) -> None:
    neighbours, _ = fitted.similar_items(["b0"], k=100)
    assert sorted(neighbours[0].tolist()) == sorted(set(world.item_ids.tolist()) - {"b0"})


def test_similar_items_refuse_unknown_items_and_k_below_one(fitted: AttentionModel) -> None:
    with pytest.raises(InputError, match="no-such-item"):
        fitted.similar_items(["a0", "no-such-item"], k=3)
    with pytest.raises(InputError, match="k must be at least 1"):
        fitted.similar_items(["a0"], k=0)


def test_save_and_load_give_identical_similar_items(fitted: AttentionModel, tmp_path: Path) -> None:
    fitted.save(tmp_path / "artifact")
    loaded = AttentionModel.load(tmp_path / "artifact")
    before = fitted.similar_items(["a0", "b5"], k=5)
    after = loaded.similar_items(["a0", "b5"], k=5)
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])


@pytest.mark.parametrize("name", list(MODEL_CLASSES))
def test_refuses_similar_items_before_fit(name: str) -> None:
    with pytest.raises(NotFitted, match="call fit"):
        create_model(name).similar_items(["a0"], k=3)
