"""The interactions dataset every model and metric reads: index maps, histories, item content.

Interactions are kept grouped by person and, within a person, in time order with ties
broken by their order in the source (a stable sort), so ``user_items(u)`` *is* the
person's history and "the last interaction" is always defined.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from mindshare.core import InputError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class Interactions:
    """Who interacted with what and when, over fixed person and item index maps.

    ``user``/``item``/``ts``/``source_order`` are parallel arrays sorted by
    (user, ts, source_order); ``indptr[u]:indptr[u+1]`` is person ``u``'s history.
    ``weight`` holds optional attention weights (attentive ms, dwell) per interaction.
    Item content lives beside them: ``item_text`` (one string per item, "" when none)
    and ``item_features`` (a float matrix, one row per item, or None).
    """

    name: str
    user_ids: npt.NDArray[np.str_]
    item_ids: npt.NDArray[np.str_]
    user: IntArray
    item: IntArray
    ts: IntArray
    source_order: IntArray
    indptr: IntArray
    weight: FloatArray | None = None
    item_text: tuple[str, ...] = ()
    item_features: FloatArray | None = None
    feature_names: tuple[str, ...] = ()
    _item_index: dict[str, int] = field(default_factory=dict, repr=False)
    _user_index: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_arrays(
        cls,
        *,
        name: str,
        users: npt.ArrayLike,
        items: npt.ArrayLike,
        ts: npt.ArrayLike,
        weight: npt.ArrayLike | None = None,
        item_ids: npt.ArrayLike | None = None,
        item_text: Mapping[str, str] | None = None,
        item_features: Mapping[str, npt.ArrayLike] | None = None,
        feature_names: tuple[str, ...] = (),
    ) -> "Interactions":
        """Build from parallel per-interaction arrays of external ids, in source order.

        ``item_ids`` lists the catalogue (items nobody interacted with yet included);
        by default it is the items seen, in order of first appearance.
        """
        user_col = np.asarray(users, dtype=str)
        item_col = np.asarray(items, dtype=str)
        ts_col = np.asarray(ts, dtype=np.int64)
        if not (len(user_col) == len(item_col) == len(ts_col)):
            raise InputError("users, items and ts must have one entry per interaction")
        user_ids = _first_seen(user_col)
        catalogue = _first_seen(item_col) if item_ids is None else np.asarray(item_ids, dtype=str)
        if len(set(catalogue.tolist())) != len(catalogue):
            raise InputError("item ids must be unique")
        item_index = {item_id: i for i, item_id in enumerate(catalogue.tolist())}
        unknown = [i for i in dict.fromkeys(item_col.tolist()) if i not in item_index]
        if unknown:
            raise InputError(f"interactions name items not in the catalogue: {unknown[:5]}")
        user_index = {user_id: u for u, user_id in enumerate(user_ids.tolist())}
        user_codes = np.fromiter((user_index[u] for u in user_col), np.int64, len(user_col))
        item_codes = np.fromiter((item_index[i] for i in item_col), np.int64, len(item_col))
        weights = None
        if weight is not None:
            weights = np.asarray(weight, dtype=np.float32)
            if len(weights) != len(user_col):
                raise InputError("weight must have one entry per interaction")
            if not np.all(np.isfinite(weights)) or np.any(weights < 0):
                bad = int(np.flatnonzero(~np.isfinite(weights) | (weights < 0))[0])
                raise InputError(
                    f"attention weight of interaction {bad} is {weights[bad]}: "
                    "weights must be finite and >= 0"
                )
        texts = tuple((item_text or {}).get(i, "") for i in catalogue.tolist())
        features = None
        if item_features:
            rows = [
                np.asarray(item_features.get(i, np.zeros(len(feature_names))), np.float32)
                for i in catalogue.tolist()
            ]
            features = np.vstack(rows).astype(np.float32) if rows else None
            if features is not None and not np.all(np.isfinite(features)):
                row, column = np.argwhere(~np.isfinite(features))[0]
                raise InputError(
                    f"item {catalogue[row]!r} has a non-finite feature "
                    f"{feature_names[column] if column < len(feature_names) else column}"
                )
        return cls._sorted(
            name=name,
            user_ids=user_ids,
            item_ids=catalogue,
            user=user_codes,
            item=item_codes,
            ts=ts_col,
            source_order=np.arange(len(user_col), dtype=np.int64),
            weight=weights,
            item_text=texts,
            item_features=features,
            feature_names=feature_names,
        )

    @classmethod
    def _sorted(
        cls,
        *,
        name: str,
        user_ids: npt.NDArray[np.str_],
        item_ids: npt.NDArray[np.str_],
        user: IntArray,
        item: IntArray,
        ts: IntArray,
        source_order: IntArray,
        weight: FloatArray | None,
        item_text: tuple[str, ...],
        item_features: FloatArray | None,
        feature_names: tuple[str, ...],
    ) -> "Interactions":
        order = np.lexsort((source_order, ts, user))
        counts = np.bincount(user, minlength=len(user_ids))
        indptr = np.zeros(len(user_ids) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            name=name,
            user_ids=user_ids,
            item_ids=item_ids,
            user=user[order],
            item=item[order],
            ts=ts[order],
            source_order=source_order[order],
            indptr=indptr,
            weight=None if weight is None else weight[order],
            item_text=item_text,
            item_features=item_features,
            feature_names=feature_names,
        )

    @property
    def n_users(self) -> int:
        """People in the index map (some may have no interactions in a split)."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Items in the catalogue."""
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.user)

    def user_items(self, user: int) -> IntArray:
        """Person ``user``'s items in time order (the history)."""
        return self.item[self.indptr[user] : self.indptr[user + 1]]

    def positions(self, users: IntArray) -> tuple[IntArray, IntArray]:
        """Every interaction of ``users``: (row into ``users``, index into the arrays), in order."""
        users = np.asarray(users, np.int64)
        starts, lengths = self.indptr[users], self.history_lengths()[users]
        rows = np.repeat(np.arange(len(users)), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return rows, np.repeat(starts, lengths) + offsets

    def history_lengths(self) -> IntArray:
        """Interactions per person."""
        return np.diff(self.indptr)

    def matrix(self, values: FloatArray | None = None) -> sp.csr_matrix:
        """The person × item CSR matrix (repeats summed); values default to 1 per interaction."""
        data = np.ones(len(self), np.float32) if values is None else values
        matrix = sp.csr_matrix(
            (data, (self.user, self.item)), shape=(self.n_users, self.n_items), dtype=np.float32
        )
        matrix.sum_duplicates()
        return matrix

    def item_counts(self) -> IntArray:
        """Interactions per item."""
        return np.bincount(self.item, minlength=self.n_items).astype(np.int64)

    def item_index(self, item_id: str) -> int | None:
        """The index of an external item id, None when it is not in the catalogue."""
        if not self._item_index:
            self._item_index.update((i, n) for n, i in enumerate(self.item_ids.tolist()))
        return self._item_index.get(item_id)

    def user_index(self, user_id: str) -> int | None:
        """The index of an external person id, None when the person is unknown."""
        if not self._user_index:
            self._user_index.update((u, n) for n, u in enumerate(self.user_ids.tolist()))
        return self._user_index.get(user_id)

    def subset(self, keep: npt.NDArray[np.bool_]) -> "Interactions":
        """The interactions where ``keep`` is true, over the same index maps."""
        counts = np.bincount(self.user[keep], minlength=self.n_users)
        indptr = np.zeros(self.n_users + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return replace(
            self,
            user=self.user[keep],
            item=self.item[keep],
            ts=self.ts[keep],
            source_order=self.source_order[keep],
            indptr=indptr,
            weight=None if self.weight is None else self.weight[keep],
            _item_index={},
            _user_index={},
        )

    def fingerprint(self) -> str:
        """A content hash of interactions and catalogue, stored beside model artifacts."""
        digest = hashlib.sha256()
        for array in (self.user, self.item, self.ts, self.source_order):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update("\x1f".join(self.item_ids.tolist()).encode())
        digest.update("\x1f".join(self.user_ids.tolist()).encode())
        return digest.hexdigest()[:16]


def _first_seen(values: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    """Distinct values in order of first appearance."""
    return np.asarray(list(dict.fromkeys(values.tolist())), dtype=str)
