"""The one interface every attention model implements, and how models are saved.

A model is built with its hyperparameters, learns its state in ``fit``, and then scores
people against the catalogue. Internally models work on index arrays; the public
``score``/``recommend`` speak external ids. A person the model has no history for gets
the training popularity ranking (the documented cold-start fallback) instead of an error.
"""

import json
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from mindshare.core import InputError, MindshareError
from mindshare.datasets import FloatArray, IntArray, Interactions

ARTIFACT_FORMAT = "mindshare-model"
ARTIFACT_VERSION = 1
_META = "model.json"
_STATE = "state.npz"
_DATA_FIELDS = ("user", "item", "ts", "source_order", "indptr")


class NotFitted(MindshareError):
    """A model was asked to score or save before ``fit``."""


class ArtifactError(InputError):
    """A saved model cannot be loaded: missing, corrupt, or not this kind of model."""


class AttentionModel(ABC):
    """Predicts where each person's attention goes next, over a fixed item catalogue.

    Subclasses set ``name``, take hyperparameters as keyword arguments (passed to
    ``super().__init__``), and implement ``_fit``, ``_score``, ``_state`` and
    ``_restore``; a model that learns item representations overrides
    ``_item_similarity`` too (``similar_items`` reads it). ``reads_prefix`` says
    whether, under the evaluation protocol, the model reads the whole prefix before
    the test item (sequence models) or only the training interactions (as RecBole
    does for non-sequential models).
    """

    name: ClassVar[str]
    reads_prefix: ClassVar[bool] = False
    #: The values in effect, before a hyperparameter existed, for artifacts saved then
    #: (their saved parameters lack it, and today's default may score differently).
    defaults_for_older_artifacts: ClassVar[dict[str, Any]] = {}

    def __init__(self, *, seed: int = 0, **params: Any) -> None:
        self.params: dict[str, Any] = {"seed": seed, **params}
        self.seed = seed
        self._data: Interactions | None = None
        self._popularity: FloatArray | None = None

    # -- what subclasses implement ------------------------------------------------

    @abstractmethod
    def _fit(self, data: Interactions, valid: IntArray | None) -> None:
        """Learn from ``data``; ``valid`` (item per person or -1) is for early stopping."""

    @abstractmethod
    def _score(self, users: IntArray, history: Interactions) -> FloatArray:
        """Scores (len(users) × n_items) for people with a non-empty ``history``."""

    @abstractmethod
    def _state(self) -> dict[str, npt.NDArray[Any]]:
        """Learned arrays to save."""

    @abstractmethod
    def _restore(self, state: dict[str, npt.NDArray[Any]]) -> None:
        """Set learned arrays from ``_state``'s output."""

    # -- the public interface -------------------------------------------------------

    def fit(self, data: Interactions, *, valid: npt.ArrayLike | None = None) -> Self:
        """Learn from ``data``; ``valid`` holds one validation item index per person (-1: none)."""
        if len(data) == 0:
            raise InputError(f"cannot fit {self.name} on {data.name!r}: it has no interactions")
        valid_items = None
        if valid is not None:
            valid_items = np.asarray(valid, dtype=np.int64)
            if valid_items.shape != (data.n_users,):
                raise InputError("valid must hold one item index (or -1) per person")
        self._data = data
        self._popularity = data.item_counts().astype(np.float32)
        self._fit(data, valid_items)
        return self

    @property
    def data(self) -> Interactions:
        """The training interactions (index maps and histories)."""
        if self._data is None:
            raise NotFitted(f"model {self.name!r} is not fitted: call fit(dataset) first")
        return self._data

    def score_indices(
        self, users: npt.ArrayLike, history: Interactions | None = None
    ) -> FloatArray:
        """Scores over the whole catalogue for person indices, reading ``history``.

        ``history`` defaults to the training data; people with an empty history get
        the popularity scores (the cold-start fallback).
        """
        data = self.data
        assert self._popularity is not None
        history = data if history is None else history
        rows = np.asarray(users, dtype=np.int64)
        scores = np.empty((len(rows), data.n_items), np.float32)
        warm = history.history_lengths()[rows] > 0
        if warm.any():
            scores[warm] = self._score(rows[warm], history)
        scores[~warm] = self._popularity
        if not np.all(np.isfinite(scores[warm])):
            raise MindshareError(f"model {self.name!r} produced non-finite scores")
        return scores

    def score(
        self, users: Sequence[str], items: Sequence[str] | None = None
    ) -> npt.NDArray[np.float32]:
        """Scores of people (external ids) for ``items`` (default: the whole catalogue).

        Unknown people get the popularity scores; unknown items raise ``InputError``.
        """
        data = self.data
        known = [data.user_index(u) for u in users]
        rows = np.array([-1 if u is None else u for u in known], dtype=np.int64)
        scores = np.tile(self._popularity_scores(), (len(rows), 1))
        if (rows >= 0).any():
            scores[rows >= 0] = self.score_indices(rows[rows >= 0])
        if items is None:
            return scores
        columns = [data.item_index(i) for i in items]
        unknown = [i for i, c in zip(items, columns, strict=True) if c is None]
        if unknown:
            raise InputError(f"unknown item(s) for model {self.name!r}: {unknown[:5]}")
        return scores[:, np.array(columns, dtype=np.int64)]

    def recommend(
        self, users: Sequence[str], k: int = 10, *, exclude_seen: bool = True
    ) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.float32]]:
        """Each person's top ``k`` item ids and their scores, best first.

        Items the person already interacted with are left out unless
        ``exclude_seen`` is false; unknown people get the most popular items.
        """
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        data = self.data
        scores = self.score(users)
        if exclude_seen:
            for row, user in enumerate(users):
                index = data.user_index(user)
                if index is not None:
                    scores[row, data.user_items(index)] = -np.inf
        best = _top_k(scores, min(k, data.n_items))
        return data.item_ids[best], np.take_along_axis(scores, best, axis=1)

    def similar_items(
        self, items: Sequence[str], k: int = 10
    ) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.float32]]:
        """Each item's ``k`` most similar other items and their similarity, best first.

        Similarity is the model's own notion (see ``_item_similarity``); an item is
        never its own neighbour, ties go to the earlier catalogue index, and unknown
        items raise ``InputError``.
        """
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        data = self.data
        columns = [data.item_index(i) for i in items]
        unknown = [i for i, c in zip(items, columns, strict=True) if c is None]
        if unknown:
            raise InputError(f"unknown item(s) for model {self.name!r}: {unknown[:5]}")
        rows = np.array(columns, dtype=np.int64)
        similarity = np.asarray(self._item_similarity(rows), dtype=np.float32).copy()
        similarity[np.arange(len(rows)), rows] = -np.inf
        best = _top_k(similarity, min(k, data.n_items - 1))
        return data.item_ids[best], np.take_along_axis(similarity, best, axis=1)

    def _item_similarity(self, rows: IntArray) -> FloatArray:
        """Similarity (len(rows) × n_items) of items ``rows`` to every item in the catalogue.

        The default, for models without item representations of their own (``pop``),
        is the cosine of the items' columns in the person × item matrix: the share of
        people two items have in common. Models that learn item vectors override it.
        """
        people_by_item = self.data.matrix().tocsc()
        people_by_item.data[:] = 1.0  # read or not: a repeat counts once
        shared = np.asarray((people_by_item[:, rows].T @ people_by_item).todense(), np.float64)
        readers = np.sqrt(np.asarray(people_by_item.sum(axis=0), np.float64).ravel())
        denominator = np.outer(readers[rows], readers)
        cosine = np.divide(shared, denominator, out=np.zeros_like(shared), where=denominator > 0)
        return np.asarray(cosine, np.float32)

    def _popularity_scores(self) -> FloatArray:
        self.data  # noqa: B018 - raises NotFitted before fit
        assert self._popularity is not None
        return self._popularity

    # -- artifacts -----------------------------------------------------------------

    def save(self, path: Path | str) -> Path:
        """Write the model to directory ``path`` (created): parameters, index maps, state."""
        data = self.data
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": ARTIFACT_FORMAT,
            "format_version": ARTIFACT_VERSION,
            "model": self.name,
            "params": self.params,
            "dataset": data.name,
            "fingerprint": data.fingerprint(),
        }
        arrays: dict[str, npt.NDArray[Any]] = {
            f"data.{field}": getattr(data, field) for field in _DATA_FIELDS
        }
        arrays["data.user_ids"] = data.user_ids
        arrays["data.item_ids"] = data.item_ids
        if data.weight is not None:
            arrays["data.weight"] = data.weight
        arrays.update({f"state.{key}": value for key, value in self._state().items()})
        np.savez(directory / _STATE, allow_pickle=False, **arrays)
        (directory / _META).write_text(json.dumps(meta, indent=2) + "\n")
        return directory

    @classmethod
    def load(cls, path: Path | str) -> "AttentionModel":
        """Read a model saved by ``save``; a wrong kind or a damaged artifact is an error."""
        from mindshare.models._catalog import model_class

        directory = Path(path)
        meta = read_artifact_meta(directory)
        model_type = model_class(meta["model"])
        if cls is not AttentionModel and not issubclass(model_type, cls):
            raise ArtifactError(f"{directory} holds a {meta['model']!r} model, not {cls.name!r}")
        try:
            with np.load(directory / _STATE, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
            raise ArtifactError(f"{directory / _STATE} is damaged: {error}") from None
        try:
            model = model_type(**(model_type.defaults_for_older_artifacts | meta["params"]))
            data = Interactions(
                name=meta.get("dataset", ""),
                user_ids=arrays["data.user_ids"],
                item_ids=arrays["data.item_ids"],
                weight=arrays.get("data.weight"),
                **{field: arrays[f"data.{field}"] for field in _DATA_FIELDS},
            )
            model._data = data
            model._popularity = data.item_counts().astype(np.float32)
            model._restore(
                {k.removeprefix("state."): v for k, v in arrays.items() if k.startswith("state.")}
            )
        except (KeyError, TypeError, ValueError) as error:
            problem = f"{directory} is not a loadable {meta['model']!r} model: {error}"
            raise ArtifactError(problem) from None
        return model


def cosine_to_all(vectors: npt.NDArray[np.floating], rows: IntArray) -> FloatArray:
    """Cosine similarity (len(rows) × n) of rows ``rows`` of ``vectors`` with every row.

    A zero vector (an item with nothing to represent it) is similar to nothing: 0.
    """
    values = np.asarray(vectors, np.float64)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    unit = np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)
    return np.asarray(unit[rows] @ unit.T, np.float32)


def _top_k(scores: npt.NDArray[np.float32], k: int) -> IntArray:
    """Column indices of each row's ``k`` highest scores, best first, ties by lower index.

    Ties are settled at the cut too: of the items tied with the k-th score, the ones
    with the lower indices get in (``argpartition`` alone would pick any of them).
    """
    if k < 1:
        return np.zeros((len(scores), 0), dtype=np.int64)
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
    above = scores > kth
    at_cut = scores == kth
    room = k - above.sum(axis=1, keepdims=True)
    chosen = above | (at_cut & (np.cumsum(at_cut, axis=1) <= room))
    columns = np.nonzero(chosen)[1].reshape(len(scores), k)
    rows = np.arange(len(scores))[:, None]
    order = np.lexsort((columns, -scores[rows, columns]), axis=1)
    best: IntArray = columns[rows, order].astype(np.int64)
    return best


def read_artifact_meta(directory: Path) -> dict[str, Any]:
    """The metadata of a saved model, checked to be a Mindshare model artifact."""
    meta_path = directory / _META
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{directory} is not a saved Mindshare model (no {_META})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactError(f"{meta_path} is damaged: {error}") from None
    if not isinstance(meta, dict) or meta.get("format") != ARTIFACT_FORMAT:
        raise ArtifactError(f"{meta_path} is not a Mindshare model artifact")
    if meta.get("format_version") != ARTIFACT_VERSION:
        raise ArtifactError(
            f"{meta_path} has artifact format {meta.get('format_version')!r}; "
            f"this Mindshare reads version {ARTIFACT_VERSION}"
        )
    if not isinstance(meta.get("params"), dict) or not isinstance(meta.get("model"), str):
        raise ArtifactError(f"{meta_path} lacks the model name or its parameters")
    return meta
