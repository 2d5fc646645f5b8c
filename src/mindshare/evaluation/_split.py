"""Leave-last-out split: per person, the last interaction is test, the one before validation.

Histories are already in (time, source order) order, so "last" is defined even when a
person rated several items in the same second.
"""

from dataclasses import dataclass

import numpy as np

from mindshare.core import InputError
from mindshare.datasets import IntArray, Interactions

#: Value of ``valid``/``test`` for a person without a held-out item.
NO_ITEM = -1


@dataclass(frozen=True, eq=False)
class Split:
    """Training data, and one held-out item per person for validation and for test.

    ``valid[u]``/``test[u]`` are item indices, ``NO_ITEM`` where a person has too
    few interactions to hold any out (fewer than three: they are trained on, not
    evaluated). ``prefix`` is training plus validation: what a sequence model reads
    before the test item, and what is excluded when the test item is ranked.
    """

    train: Interactions
    prefix: Interactions
    valid: IntArray
    test: IntArray

    @property
    def valid_users(self) -> IntArray:
        """People with a validation item."""
        return np.flatnonzero(self.valid != NO_ITEM)

    @property
    def test_users(self) -> IntArray:
        """People with a test item."""
        return np.flatnonzero(self.test != NO_ITEM)


def leave_last_out(data: Interactions) -> Split:
    """Hold out each person's last interaction for test and the one before for validation."""
    if len(data) == 0:
        raise InputError(f"dataset {data.name!r} is empty: there is nothing to split")
    lengths = data.history_lengths()
    held = lengths >= 3
    if not held.any():
        raise InputError(
            f"dataset {data.name!r}: nobody has the three interactions needed to hold out "
            "a validation and a test item"
        )
    last = data.indptr[1:] - 1
    test = np.full(data.n_users, NO_ITEM, np.int64)
    valid = np.full(data.n_users, NO_ITEM, np.int64)
    test[held] = data.item[last[held]]
    valid[held] = data.item[last[held] - 1]
    position = np.arange(len(data)) - data.indptr[data.user]
    from_end = lengths[data.user] - position
    in_train = ~held[data.user] | (from_end > 2)
    in_prefix = ~held[data.user] | (from_end > 1)
    return Split(train=data.subset(in_train), prefix=data.subset(in_prefix), valid=valid, test=test)
