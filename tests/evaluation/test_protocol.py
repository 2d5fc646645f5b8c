"""The leave-last-out split and the full-ranking protocol, checked by hand and on MovieLens."""

from pathlib import Path

import numpy as np
import pytest

from mindshare.core import InputError
from mindshare.datasets import Interactions, load_recbole_dataset
from mindshare.evaluation import NO_ITEM, evaluate_ranking, leave_last_out
from mindshare.models import create_model


def tiny() -> Interactions:
    # ann rates i1, then i2 and i3 in the same second (file order decides), then i4
    return Interactions.from_arrays(
        name="tiny",
        users=["ann", "ann", "ann", "ann", "bob", "bob", "cat", "cat", "cat"],
        items=["i1", "i3", "i2", "i4", "i1", "i2", "i2", "i1", "i4"],
        ts=[10, 20, 20, 30, 5, 6, 1, 2, 3],
        item_ids=["i1", "i2", "i3", "i4", "i5"],
    )


def ids(data: Interactions, items: np.ndarray) -> list[str]:
    return [str(data.item_ids[i]) if i != NO_ITEM else "-" for i in items]


def test_last_is_test_second_last_is_validation_ties_by_source_order() -> None:
    data = tiny()
    split = leave_last_out(data)
    assert ids(data, split.test) == ["i4", "-", "i4"]
    assert ids(data, split.valid) == ["i2", "-", "i1"]  # i2 came after i3 in the file
    assert ids(data, split.train.user_items(0)) == ["i1", "i3"]
    assert ids(data, split.prefix.user_items(0)) == ["i1", "i3", "i2"]


def test_people_with_fewer_than_three_interactions_are_trained_on_not_evaluated() -> None:
    split = leave_last_out(tiny())
    assert split.train.user_items(1).tolist() == [0, 1]
    assert split.test_users.tolist() == [0, 2]
    assert split.valid_users.tolist() == [0, 2]


def test_empty_and_too_short_datasets_are_refused() -> None:
    data = tiny()
    with pytest.raises(InputError, match="empty"):
        leave_last_out(data.subset(np.zeros(len(data), dtype=bool)))
    with pytest.raises(InputError, match="three interactions"):
        leave_last_out(data.subset(data.user == 1))


def test_test_ranking_excludes_training_and_validation_items() -> None:
    data = tiny()
    split = leave_last_out(data)
    model = create_model("pop").fit(split.train, valid=split.valid)
    # training counts: i1 2 (ann, bob), i2 2 (bob, cat), i3 1, i4 0, i5 0
    report = evaluate_ranking(model, split, "test")
    # ann: i1, i3, i2 excluded; i4 (0) ties with i5 (0) -> pessimistic rank 1
    # cat: i2, i1 excluded; i3 (1) above i4 (0); i5 ties -> rank 2
    assert report.ranks.tolist() == [1, 2]
    valid = evaluate_ranking(model, split, "valid")
    # ann's validation item i2 (2) ties with nothing unexcluded above: i1, i3 excluded -> 0
    # cat's validation item i1 (2): i2 excluded, others lower -> 0
    assert valid.ranks.tolist() == [0, 0]


@pytest.fixture(scope="module")
def movielens(movielens_100k: Path) -> Interactions:
    return load_recbole_dataset(movielens_100k)


def test_most_popular_reproduces_the_reference_on_movielens(movielens: Interactions) -> None:
    """The check of split, exclusion, tie rule and metrics (../shared/anchors)."""
    split = leave_last_out(movielens)
    model = create_model("pop").fit(split.train, valid=split.valid)
    metrics = evaluate_ranking(model, split, "test").metrics()
    assert metrics["ndcg@10"] == pytest.approx(0.0432, abs=0.0005)
    assert metrics["recall@10"] == pytest.approx(0.0838, abs=0.0005)
    assert metrics["mrr@10"] == pytest.approx(0.0309, abs=0.0005)
    assert metrics["users"] == 943


def test_ease_matches_recbole_under_the_same_protocol(movielens: Interactions) -> None:
    split = leave_last_out(movielens)
    model = create_model("ease", l2=250.0).fit(split.train)
    metrics = evaluate_ranking(model, split, "test").metrics()
    assert metrics["ndcg@10"] == pytest.approx(0.0698, abs=0.0005)
    assert metrics["recall@10"] == pytest.approx(0.1347, abs=0.0005)
