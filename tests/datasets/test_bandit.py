"""The Open Bandit Dataset loader, the BTS priors and the replayed Thompson-sampling policy."""

from pathlib import Path

import numpy as np
import pytest

from mindshare.core import InputError, UnreadableFile
from mindshare.datasets import (
    BanditLog,
    bts_action_distribution,
    load_bts_priors,
    load_open_bandit,
)

ITEMS = {"all": 80, "men": 34, "women": 46}


@pytest.fixture(scope="module")
def random_logs(open_bandit: Path) -> dict[str, BanditLog]:
    return {c: load_open_bandit(open_bandit, policy="random", campaign=c) for c in ITEMS}


@pytest.mark.parametrize("campaign", list(ITEMS))
def test_random_logs_load_whole_and_valid(random_logs: dict[str, BanditLog], campaign: str) -> None:
    log = random_logs[campaign]

    assert (log.n_rounds, log.n_actions, log.n_positions) == (10_000, ITEMS[campaign], 3)
    assert set(np.unique(log.position)) == {0, 1, 2}
    assert set(np.unique(log.action)) <= set(range(ITEMS[campaign]))
    assert set(np.unique(log.reward)) == {0.0, 1.0}
    # the uniform-random policy shows each item in a slot with probability 1 / items
    assert log.pscore == pytest.approx(1.0 / ITEMS[campaign])
    assert log.context.sum(axis=1) == pytest.approx(4.0)  # one level of each user feature
    assert log.affinity.shape == (10_000, ITEMS[campaign])
    assert log.action_context.shape[0] == ITEMS[campaign]


def test_bts_logs_hold_valid_propensities(open_bandit: Path) -> None:
    log = load_open_bandit(open_bandit, policy="bts", campaign="men")

    assert log.n_rounds == 10_000
    assert np.all((log.pscore > 0) & (log.pscore <= 1))


def test_take_resamples_rounds_and_keeps_the_catalogue(random_logs: dict[str, BanditLog]) -> None:
    log = random_logs["men"]

    sample = log.take([5, 5, 0])

    assert sample.n_rounds == 3
    assert list(sample.action) == [log.action[5], log.action[5], log.action[0]]
    assert sample.action_context is log.action_context


@pytest.mark.parametrize("campaign", list(ITEMS))
def test_bts_priors_have_one_alpha_and_beta_per_item(open_bandit: Path, campaign: str) -> None:
    alpha, beta = load_bts_priors(open_bandit, campaign)

    assert alpha.shape == beta.shape == (ITEMS[campaign],)
    assert np.all(alpha > 0)
    assert np.all(beta > 0)


def test_bts_action_distribution_sums_to_one_in_every_slot(open_bandit: Path) -> None:
    alpha, beta = load_bts_priors(open_bandit, "all")

    distribution = bts_action_distribution(alpha, beta, n_positions=3, n_draws=20_000, seed=1)

    assert distribution.shape == (80, 3)
    assert distribution.sum(axis=0) == pytest.approx([1.0, 1.0, 1.0])
    assert np.all(distribution.sum(axis=1) <= 1.0 + 1e-12)  # an item fills one slot at most


def test_bts_action_distribution_matches_the_closed_form_for_two_items() -> None:
    # θ0 ~ Beta(2, 1) has density 2x and θ1 ~ Beta(1, 1) is uniform, so
    # P(θ0 > θ1) = ∫ 2x · x dx over [0, 1] = 2/3: item 0 leads with probability 2/3.
    distribution = bts_action_distribution([2.0, 1.0], [1.0, 1.0], n_positions=2, n_draws=200_000)

    # the standard error of a share of 200,000 draws is about 0.001
    assert distribution == pytest.approx(np.array([[2 / 3, 1 / 3], [1 / 3, 2 / 3]]), abs=0.005)


def test_bts_action_distribution_is_reproducible_and_ranks_a_sure_winner_first() -> None:
    alpha, beta = [1000.0, 1.0, 1.0], [1.0, 1000.0, 1000.0]

    first = bts_action_distribution(alpha, beta, n_positions=1, n_draws=1000, seed=3)

    assert first == pytest.approx(np.array([[1.0], [0.0], [0.0]]))
    again = bts_action_distribution([1, 2, 3], [3, 2, 1], n_positions=2, n_draws=500, seed=9)
    assert again == pytest.approx(
        bts_action_distribution([1, 2, 3], [3, 2, 1], n_positions=2, n_draws=500, seed=9)
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"alpha": [1.0, 0.0], "beta": [1.0, 1.0]}, "must be > 0"),
        ({"alpha": [1.0, float("nan")], "beta": [1.0, 1.0]}, "must be > 0"),
        ({"alpha": [1.0], "beta": [1.0, 1.0]}, "one entry per item"),
        ({"alpha": [1.0, 1.0], "beta": [1.0, 1.0], "n_positions": 3}, "between 1 and the 2"),
    ],
)
def test_bts_action_distribution_rejects_bad_priors(
    arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        bts_action_distribution(**{"n_positions": 1} | arguments)  # type: ignore[arg-type]


HEADER = (
    ",timestamp,item_id,position,click,propensity_score,user_feature_0,user_feature_1,"
    "user-item_affinity_0,user-item_affinity_1"
)
GOOD_ROWS = [
    "0,2019-11-24 00:00:34+00:00,0,1,0,0.5,aa,bb,0.0,0.0",
    "1,2019-11-24 00:00:35+00:00,1,2,1,0.5,aa,cc,1.0,0.0",
    "2,2019-11-24 00:00:36+00:00,1,3,0,0.5,dd,bb,0.0,0.0",
]


def _dataset(root: Path, rows: list[str], *, header: str = HEADER) -> Path:
    folder = root / "random" / "men"
    folder.mkdir(parents=True)
    (folder / "men.csv").write_text("\n".join([header, *rows]) + "\n")
    (folder / "item_context.csv").write_text(
        ",item_id,item_feature_0,item_feature_1\n0,0,-0.5,x1\n1,1,0.7,x2\n"
    )
    return root


def test_a_small_well_formed_log_loads(tmp_path: Path) -> None:
    log = load_open_bandit(_dataset(tmp_path, GOOD_ROWS), policy="random", campaign="men")

    assert list(log.position) == [0, 1, 2]
    assert list(log.reward) == [0.0, 1.0, 0.0]
    # user_feature_0 levels (aa, dd) then user_feature_1 levels (bb, cc)
    assert log.context.tolist() == [[1, 0, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0]]
    assert log.affinity.tolist() == [[0, 0], [1, 0], [0, 0]]
    # item_feature_0 standardised; item_feature_1 one-hot
    assert log.action_context.tolist() == [[-1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2,t,1,3,0,0.0,dd,bb,0.0,0.0", "men.csv:4, column propensity_score: '0.0'"),
        ("2,t,1,3,0,1.5,dd,bb,0.0,0.0", "men.csv:4, column propensity_score: '1.5'"),
        ("2,t,1,3,0,nan,dd,bb,0.0,0.0", "men.csv:4, column propensity_score: 'nan'"),
        ("2,t,1,3,0,,dd,bb,0.0,0.0", "men.csv:4, column propensity_score: ''"),
        ("2,t,7,3,0,0.5,dd,bb,0.0,0.0", "men.csv:4, column item_id: '7' is not an item id"),
        ("2,t,1,0,0,0.5,dd,bb,0.0,0.0", "men.csv:4, column position: '0'"),
        ("2,t,1,3,2,0.5,dd,bb,0.0,0.0", "men.csv:4, column click: '2' is not 0 or 1"),
        ("2,t,1,3,0,0.5,dd,bb,-1,0.0", "column user-item_affinity_0: '-1'"),
        ("2,t,1,3,0,0.5,dd,bb,0.0", "men.csv:4 has 9 fields; the header names 10"),
    ],
)
def test_a_bad_value_is_reported_with_file_line_and_column(
    tmp_path: Path, row: str, message: str
) -> None:
    root = _dataset(tmp_path, [*GOOD_ROWS[:2], row])

    with pytest.raises(InputError) as raised:
        load_open_bandit(root, policy="random", campaign="men")

    assert message in str(raised.value)


def test_missing_columns_and_files_are_named(tmp_path: Path) -> None:
    root = _dataset(tmp_path, GOOD_ROWS, header=HEADER.replace("propensity_score", "pscore"))

    with pytest.raises(InputError, match=r"lacks the column.*propensity_score"):
        load_open_bandit(root, policy="random", campaign="men")
    with pytest.raises(UnreadableFile, match=r"cannot read .*bts/men/item_context\.csv"):
        load_open_bandit(root, policy="bts", campaign="men")
    with pytest.raises(InputError, match="unknown campaign 'kids'"):
        load_open_bandit(root, policy="random", campaign="kids")


def test_priors_are_read_from_block_or_flow_lists(tmp_path: Path) -> None:
    (tmp_path / "prior_bts.yaml").write_text(
        "# production priors\nmen:\n  alpha:\n    - 2.0\n    - 3\n  beta: [10.0, 20.0]\n"
    )

    alpha, beta = load_bts_priors(tmp_path, "men")

    assert alpha.tolist() == [2.0, 3.0]
    assert beta.tolist() == [10.0, 20.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "men:\n  alpha:\n    - two\n  beta:\n    - 1.0\n",
            "prior_bts.yaml:3: 'two' is not a number",
        ),
        ("men:\n  alpha: [1.0, 2.0]\n  beta: [1.0]\n", "2 alpha and 1 beta"),
        ("men:\n  alpha: [1.0, -2.0]\n  beta: [1.0, 1.0]\n", "men.alpha holds -2.0"),
        ("men:\n  alpha: [1.0]\n", "lacks beta"),
        ("women:\n  alpha: [1.0]\n  beta: [1.0]\n", "no priors for campaign 'men'"),
        ("men: {alpha: 1}\n", "prior_bts.yaml:1: cannot read"),
    ],
)
def test_bad_priors_are_reported_with_their_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "prior_bts.yaml").write_text(text)

    with pytest.raises(InputError) as raised:
        load_bts_priors(tmp_path, "men")

    assert message in str(raised.value)


def test_missing_priors_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match=r"prior_bts\.yaml"):
        load_bts_priors(tmp_path, "all")
