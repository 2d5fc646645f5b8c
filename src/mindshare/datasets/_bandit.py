"""Logged bandit feedback with slates: the Open Bandit Dataset and its Thompson-sampling policy.

The Open Bandit Dataset (Saito et al., NeurIPS 2021 Datasets and Benchmarks) holds
ZOZOTOWN's fashion recommendations: each row is one item shown in one of three slots
of an impression, with its click and the logging policy's probability of showing that
item in that slot. It comes per behaviour policy (``random``, ``bts``) and campaign
(``all``, ``men``, ``women``) as ``ROOT/<policy>/<campaign>/<campaign>.csv`` beside an
``item_context.csv``; ``ROOT/prior_bts.yaml`` holds the production Beta priors of the
Bernoulli Thompson sampling (BTS) policy.
"""

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError, UnreadableFile

#: The behaviour policies and campaigns the Open Bandit Dataset is published with.
OBD_POLICIES = ("random", "bts")
OBD_CAMPAIGNS = ("all", "men", "women")

_LOG_COLUMNS = ("item_id", "position", "click", "propensity_score")
_USER_FEATURE_PREFIX = "user_feature_"
_AFFINITY_PREFIX = "user-item_affinity_"
_ITEM_FEATURE_PREFIX = "item_feature_"
_DRAWS_PER_CHUNK = 10_000

#: A check on a column of numbers: which entries are acceptable.
_Rule = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.bool_]]


@dataclass(frozen=True, eq=False)
class BanditLog:
    """Rounds of logged slate feedback: who saw which item in which slot, and the outcome.

    One round is one (impression, slot) pair, as the Open Bandit Dataset records it.
    ``action``, ``position``, ``reward`` and ``pscore`` are parallel arrays over rounds;
    ``position`` is 0-based and ``pscore`` is the logging policy's probability of the
    logged action in the logged slot. ``context`` is the one-hot user features (one row
    per round), ``affinity`` the user-item affinity per round and item (past clicks of
    this user on that item) and ``action_context`` the item features (one row per item).
    """

    policy: str
    campaign: str
    n_actions: int
    n_positions: int
    action: npt.NDArray[np.int64]
    position: npt.NDArray[np.int64]
    reward: npt.NDArray[np.float64]
    pscore: npt.NDArray[np.float64]
    context: npt.NDArray[np.float64]
    affinity: npt.NDArray[np.float64]
    action_context: npt.NDArray[np.float64]

    @property
    def n_rounds(self) -> int:
        """How many (impression, slot) rounds the log holds."""
        return int(self.action.shape[0])

    def take(self, rounds: npt.ArrayLike) -> "BanditLog":
        """The log restricted to (or resampled at) the given round indices, in that order."""
        index = np.asarray(rounds, dtype=np.int64)
        return replace(
            self,
            action=self.action[index],
            position=self.position[index],
            reward=self.reward[index],
            pscore=self.pscore[index],
            context=self.context[index],
            affinity=self.affinity[index],
        )


def load_open_bandit(root: Path, *, policy: str, campaign: str) -> BanditLog:
    """One behaviour policy's logs of one campaign from the Open Bandit Dataset folder ``root``.

    Every value is checked; a bad one raises :class:`~mindshare.core.InputError` naming
    the file, line and column. Users' hashed features become one-hot columns (levels in
    sorted order, so the encoding does not depend on row order); numeric item features
    are standardised and hashed ones one-hot encoded.
    """
    _check_choice("policy", policy, OBD_POLICIES)
    _check_choice("campaign", campaign, OBD_CAMPAIGNS)
    folder = Path(root) / policy / campaign
    action_context = _load_item_context(folder / "item_context.csv")
    n_actions = action_context.shape[0]
    path = folder / f"{campaign}.csv"
    header, rows = _read_csv(path)
    missing = [c for c in _LOG_COLUMNS if c not in header]
    affinity_columns = [f"{_AFFINITY_PREFIX}{item}" for item in range(n_actions)]
    missing += [c for c in affinity_columns if c not in header]
    user_columns = sorted(c for c in header if c.startswith(_USER_FEATURE_PREFIX))
    if not user_columns:
        missing.append(f"{_USER_FEATURE_PREFIX}*")
    if missing:
        raise InputError(f"{path} lacks the column(s) {', '.join(missing[:5])}")
    if not rows:
        raise InputError(f"{path} holds no rounds")
    column = {name: index for index, name in enumerate(header)}

    def values(name: str) -> list[str]:
        return [row[column[name]] for row in rows]

    def numbers(name: str, rule: _Rule, expected: str) -> npt.NDArray[np.float64]:
        return _numeric_column(path, name, values(name), rule, expected)

    action = numbers("item_id", lambda v: _integral(v) & (v >= 0) & (v < n_actions), "an item id")
    position = numbers("position", lambda v: _integral(v) & (v >= 1), "a slot number from 1")
    reward = numbers("click", lambda v: (v == 0.0) | (v == 1.0), "0 or 1")
    pscore = numbers(
        "propensity_score", lambda v: (v > 0.0) & (v <= 1.0), "a probability in (0, 1]"
    )
    affinity = np.column_stack(
        [numbers(c, lambda v: v >= 0.0, "a count ≥ 0") for c in affinity_columns]
    )
    context = np.hstack([_one_hot(values(c)) for c in user_columns])
    return BanditLog(
        policy=policy,
        campaign=campaign,
        n_actions=n_actions,
        n_positions=int(position.max()),
        action=action.astype(np.int64),
        position=position.astype(np.int64) - 1,
        reward=reward,
        pscore=pscore,
        context=context,
        affinity=affinity,
        action_context=action_context,
    )


def load_bts_priors(
    root: Path, campaign: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """One campaign's production Beta(alpha, beta) BTS priors, from ``prior_bts.yaml``.

    The file is a two-level mapping (campaign → ``alpha``/``beta`` → list of numbers);
    it is read by a small strict reader rather than a YAML library, so that reading it
    adds no dependency. Anything else in it is reported with its line.
    """
    _check_choice("campaign", campaign, OBD_CAMPAIGNS)
    path = Path(root) / "prior_bts.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UnreadableFile(f"cannot read {path}: {_reason(error)}") from None
    priors = _parse_two_level_lists(text, path)
    if campaign not in priors:
        raise InputError(f"{path} has no priors for campaign {campaign!r}")
    entry = priors[campaign]
    for name in ("alpha", "beta"):
        if name not in entry:
            raise InputError(f"{path}: campaign {campaign!r} lacks {name}")
        bad = [v for v in entry[name] if not (math.isfinite(v) and v > 0)]
        if bad:
            raise InputError(f"{path}: {campaign}.{name} holds {bad[0]}; priors must be > 0")
    alpha, beta = np.array(entry["alpha"]), np.array(entry["beta"])
    if alpha.shape != beta.shape or alpha.size == 0:
        raise InputError(
            f"{path}: {campaign} has {alpha.size} alpha and {beta.size} beta values; "
            "one of each per item"
        )
    return alpha, beta


def bts_action_distribution(
    alpha: npt.ArrayLike,
    beta: npt.ArrayLike,
    *,
    n_positions: int,
    n_draws: int = 100_000,
    seed: int = 0,
) -> npt.NDArray[np.float64]:
    """π(i, k): how often context-free Bernoulli Thompson sampling puts item i in slot k.

    Each draw samples θ_i ~ Beta(alpha_i, beta_i) for every item and fills slots 1…K with the
    items of the K largest θ, best first; π(i, k) is the share of ``n_draws`` draws that
    put item i in slot k (each column sums to 1). This is how the BTS policy of the Open
    Bandit Dataset is replayed: its choice does not depend on the user, so one
    (items × slots) matrix serves every round. Draws are made in chunks to bound memory.
    """
    alphas = np.asarray(alpha, dtype=np.float64)
    betas = np.asarray(beta, dtype=np.float64)
    if alphas.ndim != 1 or alphas.shape != betas.shape:
        raise InputError("alpha and beta must be 1-D with one entry per item")
    if not (np.all(alphas > 0) and np.all(betas > 0)):
        raise InputError("Beta priors must be > 0 (and not NaN)")
    n_items = alphas.size
    if not 1 <= n_positions <= n_items:
        raise InputError(f"n_positions must be between 1 and the {n_items} items")
    if n_draws < 1:
        raise InputError("n_draws must be ≥ 1")
    rng = np.random.default_rng(seed)
    counts = np.zeros(n_items * n_positions, dtype=np.int64)
    slots = np.arange(n_positions)
    for start in range(0, n_draws, _DRAWS_PER_CHUNK):
        size = min(_DRAWS_PER_CHUNK, n_draws - start)
        theta = rng.beta(alphas, betas, size=(size, n_items))
        top = np.argpartition(-theta, n_positions - 1, axis=1)[:, :n_positions]
        order = np.argsort(-np.take_along_axis(theta, top, axis=1), axis=1, kind="stable")
        ranked = np.take_along_axis(top, order, axis=1)
        counts += np.bincount(
            (ranked * n_positions + slots).ravel(), minlength=n_items * n_positions
        )
    return counts.reshape(n_items, n_positions) / n_draws


def _reason(error: Exception) -> str:
    """Why a file could not be read, without repeating its path."""
    return getattr(error, "strerror", None) or str(error)


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise InputError(f"unknown {name} {value!r}; known: {', '.join(choices)}")


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a comma-separated file; every row as wide as the header."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise InputError(f"{path} is empty: expected a header line")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UnreadableFile(f"cannot read {path}: {_reason(error)}") from None
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise InputError(
                f"{path}:{number} has {len(row)} fields; the header names {len(header)}"
            )
    return header, rows


def _numeric_column(
    path: Path,
    name: str,
    texts: list[str],
    rule: _Rule,
    expected: str,
) -> npt.NDArray[np.float64]:
    """A column as floats, or an error naming the first bad row (line in the file)."""
    try:
        column = np.array(texts, dtype=np.float64)
    except ValueError:
        column = np.array([_float_or_nan(t) for t in texts])
    finite = np.isfinite(column)
    ok = finite & rule(np.where(finite, column, 0.0))
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise InputError(f"{path}:{row + 2}, column {name}: {texts[row]!r} is not {expected}")
    return column


def _integral(values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    return np.asarray(np.floor(values) == values)


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _one_hot(texts: list[str]) -> npt.NDArray[np.float64]:
    levels, codes = np.unique(np.array(texts), return_inverse=True)
    matrix = np.zeros((len(texts), levels.size))
    matrix[np.arange(len(texts)), codes] = 1.0
    return matrix


def _load_item_context(path: Path) -> npt.NDArray[np.float64]:
    """Item features, one row per item id 0…n-1: numeric ones standardised, others one-hot."""
    header, rows = _read_csv(path)
    if "item_id" not in header:
        raise InputError(f"{path} lacks the column item_id")
    column = {name: index for index, name in enumerate(header)}
    ids = _numeric_column(
        path, "item_id", [r[column["item_id"]] for r in rows], _integral, "an item id"
    )
    if not rows or sorted(ids.tolist()) != list(range(len(rows))):
        raise InputError(f"{path}: item_id must number the items 0…n-1, once each")
    order = np.argsort(ids)
    blocks = []
    for name in sorted(c for c in header if c.startswith(_ITEM_FEATURE_PREFIX)):
        texts = [rows[i][column[name]] for i in order]
        numbers = np.array([_float_or_nan(t) for t in texts])
        if np.isfinite(numbers).all():
            spread = numbers.std()
            blocks.append(((numbers - numbers.mean()) / (spread or 1.0))[:, None])
        else:
            blocks.append(_one_hot(texts))
    return np.hstack(blocks) if blocks else np.zeros((len(rows), 0))


def _parse_two_level_lists(text: str, path: Path) -> dict[str, dict[str, list[float]]]:
    """``outer:`` → ``inner:`` → ``- number`` lines (or ``inner: [a, b]``), nothing else."""
    result: dict[str, dict[str, list[float]]] = {}
    outer: str | None = None
    inner: list[float] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        content = line.strip()
        where = f"{path}:{number}"
        if content.startswith("-") and inner is not None and indent > 0:
            inner.append(_yaml_number(content[1:].strip(), where))
        elif indent == 0 and content.endswith(":"):
            outer = _unquote(content[:-1])
            result[outer] = {}
            inner = None
        elif indent > 0 and outer is not None and ":" in content:
            key, _, rest = content.partition(":")
            inner = []
            result[outer][_unquote(key)] = inner
            rest = rest.strip()
            if rest:
                if not (rest.startswith("[") and rest.endswith("]")):
                    raise InputError(f"{where}: expected a list of numbers after {key}:")
                inner.extend(_yaml_number(v.strip(), where) for v in rest[1:-1].split(",") if v)
                inner = None
        else:
            raise InputError(f"{where}: cannot read {content!r} (expected campaign → list)")
    return result


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def _yaml_number(text: str, where: str) -> float:
    try:
        return float(_unquote(text))
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a number") from None
