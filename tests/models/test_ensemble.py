"""Ensemble: per-person standardisation, weights tuned on validation, refit and artifacts."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from mindshare.core import InputError
from mindshare.datasets import FloatArray, IntArray, Interactions
from mindshare.models import AttentionModel, create_model
from mindshare.models._base import AttentionModel as BaseModel
from mindshare.models._ensemble import Ensemble, simplex_grid, standardise_per_person


class NoiseModel(BaseModel):
    """Random scores, fixed per (person, item): a member that knows nothing."""

    name = "pop"  # saved as a known name; these tests never load it

    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        self.noise_ = np.random.default_rng(self.seed).random((data.n_users, data.n_items))

    def _score(self, users: IntArray, history: Interactions) -> FloatArray:
        return self.noise_[users].astype(np.float32)

    def _state(self) -> dict[str, npt.NDArray[Any]]:
        return {"noise": self.noise_}

    def _restore(self, state: dict[str, npt.NDArray[Any]]) -> None:
        self.noise_ = state["noise"]


def chain_world(people: int = 120, chain: int = 12) -> tuple[Interactions, IntArray]:
    """Everyone walks items 0, 1, 2, … from a random start; validation is the next step."""
    generator = np.random.default_rng(0)
    users: list[str] = []
    items: list[str] = []
    for person in range(people):
        start = int(generator.integers(0, chain - 5))
        length = int(generator.integers(4, chain - start + 1))
        users += [f"p{person}"] * length
        items += [f"i{n}" for n in range(start, start + length)]
    data = Interactions.from_arrays(
        name="chain",
        users=users,
        items=items,
        ts=np.arange(len(users)),
        item_ids=[f"i{n}" for n in range(chain)],
    )
    # hold out each person's last step as validation, train on the rest
    last = data.indptr[1:] - 1
    keep = np.ones(len(data), bool)
    keep[last] = False
    valid = data.item[last].astype(np.int64)
    return data.subset(keep), valid


def test_standardisation_uses_only_the_items_each_person_ranks() -> None:
    scores = np.array([[1.0, 2.0, 3.0, 100.0], [4.0, 4.0, 8.0, 0.0]])
    ranked = np.array([[True, True, True, False], [True, True, True, True]])
    standardised = standardise_per_person(scores, ranked)
    # row 0: mean 2, std sqrt(2/3) over the first three items; item 3 is scaled alike
    scale = np.sqrt(2 / 3)
    expected_0 = [-1 / scale, 0.0, 1 / scale, 98 / scale]
    # row 1: mean 4, std sqrt((0 + 0 + 16 + 16) / 4) = sqrt(8)
    expected_1 = [0.0, 0.0, 4 / np.sqrt(8), -4 / np.sqrt(8)]
    np.testing.assert_allclose(standardised, [expected_0, expected_1], rtol=1e-6, atol=1e-6)


def test_standardisation_of_a_constant_row_only_centres_it() -> None:
    standardised = standardise_per_person(np.array([[5.0, 5.0, 5.0]]), np.ones((1, 3), bool))
    np.testing.assert_array_equal(standardised, [[0.0, 0.0, 0.0]])


def test_the_simplex_grid_covers_every_split_of_the_unit() -> None:
    grid = list(simplex_grid(3, 0.25))
    assert len(grid) == 15  # C(4 + 2, 2)
    assert all(min(w) >= 0 and abs(sum(w) - 1) < 1e-12 for w in grid)
    assert len(set(grid)) == len(grid)


def test_a_member_that_is_pure_noise_gets_no_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    data, valid = chain_world()
    real_create = create_model

    def with_noise(name: str, **params: Any) -> AttentionModel:
        return NoiseModel(seed=params.get("seed", 0)) if name == "pop" else real_create(name)

    monkeypatch.setattr("mindshare.models._ensemble.create_model", with_noise)
    model = Ensemble(members=["ease-recency", "pop"], grid_step=0.1).fit(data, valid=valid)
    assert model.weights[1] <= 0.1, model.tuning_[:3]
    assert model.params["weights"] == model.weights
    assert model.params["tune"] is False
    assert model.tuning_[0][0] > model.tuning_[-1][0]


def test_a_fit_with_validation_records_what_a_refit_repeats() -> None:
    data, valid = chain_world()
    tuned = Ensemble(members=["ease-recency", "itemknn"], grid_step=0.25).fit(data, valid=valid)
    params = tuned.params["member_params"]
    assert params["ease-recency"]["tune"] is False  # its recency was chosen, and is kept
    refit = Ensemble(**tuned.params).fit(data)
    assert refit.weights == tuned.weights
    people = ["p0", "p1", "p2"]
    np.testing.assert_allclose(refit.score(people), tuned.score(people), rtol=1e-5)


def test_without_validation_members_weigh_equally_or_as_given() -> None:
    data, _ = chain_world(people=30)
    assert Ensemble(members=["ease", "itemknn"]).fit(data).weights == [0.5, 0.5]
    given = Ensemble(members=["ease", "itemknn"], weights=[0.2, 0.8]).fit(data)
    assert given.weights == [0.2, 0.8]


def test_the_blend_is_the_weighted_sum_of_standardised_member_scores() -> None:
    data, _ = chain_world(people=30)
    model = Ensemble(members=["ease", "itemknn"], weights=[0.25, 0.75]).fit(data)
    users = np.arange(5)
    unread = np.ones((5, data.n_items), bool)
    rows, positions = data.positions(users)
    unread[rows, data.item[positions]] = False
    ease, knn = (standardise_per_person(m.score_indices(users), unread) for m in model.members_)
    np.testing.assert_allclose(model.score_indices(users), 0.25 * ease + 0.75 * knn, rtol=1e-5)


def test_save_and_load_reproduce_the_scores(tmp_path: Path) -> None:
    data, valid = chain_world(people=40)
    model = Ensemble(members=["ease-recency", "als"], member_params={"als": {"factors": 4}})
    model.fit(data, valid=valid)
    loaded = AttentionModel.load(model.save(tmp_path / "blend"))
    assert isinstance(loaded, Ensemble)
    assert loaded.params == model.params
    people = ["p0", "p7", "nobody"]
    np.testing.assert_array_equal(loaded.score(people), model.score(people))


def test_a_sequence_member_saved_before_tied_orders_existed_loads_reading_the_file_order(
    tmp_path: Path,
) -> None:
    data, _ = chain_world(people=20)
    small = {"epochs": 2, "hidden": 8, "max_len": 6}
    model = Ensemble(members=["sasrec", "pop"], member_params={"sasrec": small}, tune=False)
    directory = model.fit(data).save(tmp_path / "blend")
    meta = json.loads((directory / "model.json").read_text())
    del meta["params"]["member_params"]["sasrec"]["tied_orders"]
    (directory / "model.json").write_text(json.dumps(meta))
    loaded = AttentionModel.load(directory)
    assert isinstance(loaded, Ensemble)
    assert loaded.members_[0].params["tied_orders"] == 1


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"members": []}, "at least one member"),
        ({"members": ["ease", "ease"]}, "distinct"),
        ({"members": ["ease", "ensemble"]}, "cannot be a member"),
        ({"members": ["ease"], "member_params": {"als": {}}}, "not members"),
        ({"members": ["ease", "als"], "weights": [1.0]}, "one non-negative weight"),
        ({"grid_step": 0.3}, "divide 1"),
        ({"members": ["no-such-model"]}, "unknown model"),
    ],
)
def test_bad_parameters_are_refused(params: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        Ensemble(**params)
