"""The content profile model on catalogues small enough to check by hand."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from mindshare.core import InputError
from mindshare.datasets import Interactions
from mindshare.evaluation import leave_last_out
from mindshare.models import AttentionModel, _content, create_model
from mindshare.models._content import ContentModel, centred

TEXT = {
    "launch": "space mission: a rocket launch into orbit",
    "station": "space mission: astronauts aboard the space station",
    "moon": "space mission: astronauts land a rocket on the moon",
    "pasta": "cooking recipe: fresh pasta with tomato sauce in the kitchen",
    "bread": "cooking recipe: baking sourdough bread in the kitchen",
    "soup": "cooking recipe: vegetable soup with a tomato base in the kitchen",
    "blank": "",
}


def world(
    reads: Sequence[tuple[str, str]], *, weight: Sequence[float] | None = None
) -> Interactions:
    """``reads`` are (person, item) pairs in time order, over the whole TEXT catalogue."""
    users, items = zip(*reads, strict=True)
    return Interactions.from_arrays(
        name="tiny",
        users=users,
        items=items,
        ts=np.arange(len(reads)),
        weight=weight,
        item_ids=list(TEXT),
        item_text=TEXT,
    )


def scores_of(model: AttentionModel, person: str, *items: str) -> list[float]:
    return [float(s) for s in model.score([person], items=list(items))[0]]


def test_a_space_profile_ranks_an_unseen_space_item_above_a_cooking_item() -> None:
    data = world([("ann", "launch"), ("ann", "station"), ("bob", "pasta")])
    model = ContentModel(prior_weight=0.0, tune=False).fit(data)

    moon, soup = scores_of(model, "ann", "moon", "soup")

    assert moon > soup


SPACE, COOKING = {"launch", "station", "moon"}, {"pasta", "bread", "soup"}


@pytest.mark.parametrize(("earlier", "latest"), [("pasta", "moon"), ("moon", "pasta")])
def test_recency_favours_the_neighbours_of_the_latest_item(earlier: str, latest: str) -> None:
    data = world([("ann", earlier), ("ann", latest), ("bob", "blank")])
    model = ContentModel(half_life=1.0, prior_weight=0.0, tune=False).fit(data)
    like_latest, like_earlier = (SPACE, COOKING) if latest in SPACE else (COOKING, SPACE)

    scores = dict(zip(TEXT, model.score(["ann"])[0].tolist(), strict=True))

    unseen = set(TEXT) - {earlier, latest}
    assert min(scores[i] for i in like_latest & unseen) > max(
        scores[i] for i in like_earlier & unseen
    )


def test_long_attention_outweighs_a_glance() -> None:
    reads = [("ann", "moon"), ("ann", "pasta"), ("bob", "bread")]
    glance_last = [60_000.0, 1_000.0, 5_000.0]
    weighted = ContentModel(half_life=1000.0, prior_weight=0.0, tune=False)
    unweighted = ContentModel(half_life=1000.0, prior_weight=0.0, use_weight=False, tune=False)

    launch, soup = scores_of(
        weighted.fit(world(reads, weight=glance_last)), "ann", "launch", "soup"
    )
    plain_launch, plain_soup = scores_of(
        unweighted.fit(world(reads, weight=glance_last)), "ann", "launch", "soup"
    )

    assert launch - soup > plain_launch - plain_soup
    assert launch > soup


def test_an_item_without_text_scores_from_the_prior_only() -> None:
    data = world([("ann", "launch"), ("ann", "blank"), ("bob", "blank"), ("bob", "soup")])
    model = ContentModel(prior_weight=0.3, tune=False).fit(data)

    (blank,) = scores_of(model, "ann", "blank")
    (blank_for_bob,) = scores_of(model, "bob", "blank")

    # blank is the most read item (2 of 2 at the top): prior share 1.0
    assert blank == pytest.approx(0.3)
    assert blank_for_bob == pytest.approx(0.3)


def test_a_catalogue_without_any_text_ranks_by_popularity() -> None:
    data = Interactions.from_arrays(
        name="no-text", users=["a", "a", "b", "c"], items=["x", "y", "y", "z"], ts=[1, 2, 3, 4]
    )
    model = create_model("content", prior_weight=1.0, tune=False).fit(data)

    scores = model.score(["a"], items=["x", "y", "z"])

    np.testing.assert_allclose(scores[0], [0.5, 1.0, 0.5])


def test_validation_tuning_never_reads_the_test_items() -> None:
    people = [f"p{n}" for n in range(12)]
    space, cooking = ["launch", "station", "moon"], ["pasta", "bread", "soup"]
    reads = [(p, i) for n, p in enumerate(people) for i in (space if n % 2 else cooking)]
    other_tests = [(p, item) for p, item in reads[:-1]] + [(reads[-1][0], "blank")]
    first = leave_last_out(world(reads))
    second = leave_last_out(world(other_tests))
    assert not np.array_equal(first.test, second.test)
    np.testing.assert_array_equal(first.valid, second.valid)

    tuned = [
        ContentModel(half_life=7.0, prior_weight=0.4).fit(split.train, valid=split.valid).params
        for split in (first, second)
    ]

    assert tuned[0] == tuned[1]
    assert tuned[0]["tune"] is False
    assert tuned[0]["half_life"] in ContentModel.HALF_LIVES
    assert tuned[0]["prior_weight"] in ContentModel.PRIOR_WEIGHTS


def test_a_loaded_model_scores_without_the_sentence_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = world([("ann", "launch"), ("ann", "station"), ("bob", "pasta")])
    model = ContentModel(tune=False).fit(data)
    model.save(tmp_path / "content")

    def no_sentence_model(texts: Sequence[str]) -> None:
        raise AssertionError("load must not embed texts")

    monkeypatch.setattr(_content, "embed_texts", no_sentence_model)
    loaded = AttentionModel.load(tmp_path / "content")

    np.testing.assert_array_equal(loaded.score(["ann", "bob"]), model.score(["ann", "bob"]))


@pytest.mark.parametrize("params", [{"half_life": 0.0}, {"prior_weight": -0.1}])
def test_refuses_nonsensical_hyperparameters(params: dict[str, float]) -> None:
    with pytest.raises(InputError, match="half_life > 0 and prior_weight >= 0"):
        ContentModel(**params)


def test_centred_vectors_are_unit_length_and_empty_rows_stay_zero() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [1.0, 1.0]], np.float32)

    out = centred(vectors)

    np.testing.assert_allclose(np.linalg.norm(out[[0, 1, 3]], axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(out[2], [0.0, 0.0])
