"""A sequence model whose items are a learned fusion of three views: id, text and features.

Each item has up to three vectors: a learned id embedding (only for items seen in
training), a projection of its sentence embedding (all-MiniLM-L6-v2 over its text), and
a projection of its standardised tabular features. A small attention network scores
each available view and the item vector is their softmax-weighted sum (gated
multimodal fusion, in the spirit of Arevalo et al. 2017, "Gated Multimodal Units").
During training the id view of random items is hidden (id dropout), so the model
learns to place items from their content alone: an item nobody has interacted with
yet is scored from what it says and what it is.

The full softmax still pushes every rarely read item down, so at scoring time a rare
item also gets a text boost: ``cold_boost * similarity / (1 + count)``, where
``similarity`` is the cosine of the item's centred text vector with the person's
recency-weighted text profile (as in ``ContentModel``) and ``count`` is the item's
training interactions. The boost vanishes for well-read items; its weight is chosen on
validation NDCG@10: the largest weight within ``cold_tolerance`` (a share) of the best
one. Rare items are too few to move NDCG@10 over everyone, so strict maximisation
leaves them out; on MovieLens-100k validation, a boost of 8 ranked two of the ten
people whose item was rare in their top 10 (none without it) for 0.8% of NDCG@10.
"""

from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from mindshare.core import InputError
from mindshare.datasets import FloatArray, IntArray, Interactions
from mindshare.evaluation import rank_held_out
from mindshare.models._content import centred
from mindshare.models._sequence import ItemTable, SequenceModel, log_count_feature
from mindshare.models._text import TEXT_DIM, embed_texts

#: The views, in the order of the fusion weights.
VIEWS = ("id", "text", "features")
#: Weights of the rare-item text boost tried on validation (0: none).
COLD_BOOSTS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
#: Share of the best validation NDCG@10 a larger cold boost may give up.
COLD_TOLERANCE = 0.01
#: Half-life, in interactions, of the text profile behind the boost (``ContentModel``'s).
PROFILE_HALF_LIFE = 3.0


class _FusedItems(ItemTable):
    """Item vectors as attention-weighted sums of the item's available views."""

    def __init__(
        self,
        *,
        text: FloatArray,
        features: FloatArray | None,
        counts: npt.NDArray[np.int64],
        hidden: int,
        id_dropout: float,
    ) -> None:
        super().__init__()
        n_items = len(text)
        has_features = features is not None
        if features is None:
            features = np.zeros((n_items, 1), np.float32)
        self.id_dropout = id_dropout
        self.ids = nn.Embedding(n_items, hidden)
        nn.init.normal_(self.ids.weight, std=0.02)
        self.text_projection = nn.Sequential(
            nn.Linear(TEXT_DIM, hidden), nn.GELU(), nn.Linear(hidden, hidden)
        )
        self.feature_projection = nn.Sequential(
            nn.Linear(features.shape[1], hidden), nn.GELU(), nn.Linear(hidden, hidden)
        )
        for projection in (self.text_projection, self.feature_projection):
            last = projection[-1]
            assert isinstance(last, nn.Linear)
            nn.init.normal_(last.weight, std=0.02)  # start as small as the ids
        self.view_type = nn.Parameter(torch.zeros(len(VIEWS), hidden))
        # a view's score reads the view and how much interaction evidence the item has
        self.gate = nn.Sequential(nn.Linear(hidden + 1, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.mask_token = nn.Parameter(torch.randn(hidden) * 0.02)
        self.text: torch.Tensor
        self.features: torch.Tensor
        self.available: torch.Tensor
        self.evidence: torch.Tensor
        self.register_buffer("text", torch.from_numpy(text), persistent=False)
        self.register_buffer("features", torch.from_numpy(features), persistent=False)
        available = np.stack(
            [counts > 0, np.abs(text).sum(axis=1) > 0, np.full(n_items, has_features)], axis=1
        )
        self.register_buffer("available", torch.from_numpy(available), persistent=False)
        evidence = log_count_feature(counts)[:, None]
        self.register_buffer("evidence", torch.from_numpy(evidence), persistent=False)

    def views(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Every item's views (n × 3 × hidden) and which of them are present (n × 3)."""
        stacked = torch.stack(
            [
                self.ids.weight,
                self.text_projection(self.text),
                self.feature_projection(self.features),
            ],
            dim=1,
        )
        available = self.available
        if self.training and self.id_dropout > 0:
            hidden_id = torch.rand(len(available)) < self.id_dropout
            available = available.clone()
            available[:, 0] &= ~hidden_id
        return stacked, available

    def fusion_weights(self) -> torch.Tensor:
        """The weight (n × 3) of each view in each item's vector; absent views weigh 0."""
        return self._weights(*self.views())

    def _weights(self, views: torch.Tensor, available: torch.Tensor) -> torch.Tensor:
        evidence = self.evidence[:, None, :].expand(-1, views.shape[1], -1)
        gate_input = torch.cat([views + self.view_type, evidence], dim=-1)
        scores = self.gate(gate_input).squeeze(-1)
        # an item with no view at all (no interactions, text or features) is the zero vector
        none = ~available.any(dim=1, keepdim=True)
        scores = scores.masked_fill(~available & ~none, float("-inf"))
        weights: torch.Tensor = torch.softmax(scores, dim=1) * ~none
        return weights

    def forward(self) -> torch.Tensor:
        views, available = self.views()
        fused = (self._weights(views, available)[..., None] * views).sum(dim=1)
        pad = torch.zeros(1, fused.shape[1])
        return torch.cat([pad, fused, self.mask_token[None]])


class FusionModel(SequenceModel):
    """The SASRec encoder over items fused from their id, text and feature views.

    Takes the parameters of ``SASRec``, ``id_dropout``: the probability, per item and
    batch, that training hides the item's id view, and ``cold_boost``: the weight of
    the rare-item text boost (None: chosen from ``COLD_BOOSTS`` on validation NDCG@10
    when ``fit`` has validation items, else 0). The text embeddings and the feature
    standardisation are saved with the model, so loading it needs no sentence model.
    """

    name = "fusion"

    extra_params = ("id_dropout", "cold_boost", "cold_tolerance")

    def __init__(
        self,
        *,
        id_dropout: float = 0.2,
        cold_boost: float | None = None,
        cold_tolerance: float = COLD_TOLERANCE,
        **params: Any,
    ) -> None:
        if not 0 <= id_dropout < 1:
            raise InputError(f"fusion needs 0 <= id_dropout < 1 (got {id_dropout})")
        if cold_boost is not None and not cold_boost >= 0:
            raise InputError(f"fusion needs cold_boost >= 0 (got {cold_boost})")
        if not 0 <= cold_tolerance < 1:
            raise InputError(f"fusion needs 0 <= cold_tolerance < 1 (got {cold_tolerance})")
        super().__init__(
            id_dropout=id_dropout, cold_boost=cold_boost, cold_tolerance=cold_tolerance, **params
        )
        self.id_dropout, self.cold_boost = id_dropout, cold_boost
        self.cold_tolerance = cold_tolerance
        self.text_: FloatArray | None = None
        self.features_: FloatArray | None = None

    def fusion_weights(self) -> FloatArray:
        """How much each item's vector draws on its id, text and feature views (n × 3)."""
        if self.net_ is None:
            self.data  # noqa: B018 - raises NotFitted before fit
        assert self.net_ is not None
        assert isinstance(self.net_.items, _FusedItems)
        with torch.no_grad():
            return self.net_.items.fusion_weights().numpy()

    def _item_table(self, data: Interactions) -> ItemTable:
        if self.text_ is None:
            self.text_ = _text_vectors(data)
            self.features_ = _standardised_features(data)
        return _FusedItems(
            text=self.text_,
            features=self.features_,
            counts=data.item_counts(),
            hidden=self.hidden,
            id_dropout=self.id_dropout,
        )

    def _fit(self, data: Interactions, valid: npt.NDArray[np.int64] | None) -> None:
        self.text_ = self.features_ = None  # a new catalogue: embed it afresh
        chosen = self.cold_boost
        self.cold_boost = 0.0  # early stopping judges the sequence model alone
        super()._fit(data, valid)
        self.cold_boost = chosen
        if self.cold_boost is None:
            self._tune_cold_boost(data, valid)

    def _tune_cold_boost(self, data: Interactions, valid: IntArray | None) -> None:
        """The largest boost weight within ``cold_tolerance`` of the best validation NDCG@10."""
        users = None if valid is None else np.flatnonzero(valid >= 0)
        if valid is None or users is None or len(users) == 0:
            self.cold_boost = 0.0
        else:
            ndcg = {}
            for boost in COLD_BOOSTS:
                self.cold_boost = boost
                report = rank_held_out(self.score_indices, data, data, valid, users)
                ndcg[boost] = report.metrics((10,))["ndcg@10"]
            self.cold_boost = largest_within(ndcg, self.cold_tolerance)
        self.params["cold_boost"] = self.cold_boost

    def _score(self, users: IntArray, history: Interactions) -> FloatArray:
        scores = super()._score(users, history)
        if self.cold_boost:
            rarity = 1.0 / (1.0 + self.data.item_counts().astype(np.float32))
            similarity = self._text_similarity(users, history)
            scores += np.float32(self.cold_boost) * similarity * rarity
        return scores

    def _text_similarity(self, users: IntArray, history: Interactions) -> FloatArray:
        """Cosine of each person's recency-weighted text profile with every item's text."""
        assert self.text_ is not None
        vectors = centred(self.text_)
        rows, positions = history.positions(users)
        places_before_end = history.indptr[users[rows] + 1] - 1 - positions
        weight = (0.5 ** (places_before_end / PROFILE_HALF_LIFE)).astype(np.float32)
        profiles = np.zeros((len(users), vectors.shape[1]), np.float32)
        np.add.at(profiles, rows, weight[:, None] * vectors[history.item[positions]])
        profiles /= np.maximum(np.linalg.norm(profiles, axis=1, keepdims=True), 1e-12)
        similarity: FloatArray = profiles @ vectors.T
        return similarity

    def _content_state(self) -> dict[str, npt.NDArray[Any]]:
        assert self.text_ is not None
        content = {"text": self.text_}
        return content if self.features_ is None else content | {"features": self.features_}

    def _load_content(self, content: dict[str, npt.NDArray[Any]]) -> None:
        self.text_ = content["text"].astype(np.float32)
        features = content.get("features")
        self.features_ = None if features is None else features.astype(np.float32)


def largest_within(scores: dict[float, float], tolerance: float) -> float:
    """The largest key whose score is at least ``1 - tolerance`` times the best score.

    Examples
    --------
    >>> largest_within({0.0: 0.100, 4.0: 0.099, 8.0: 0.098, 16.0: 0.090}, 0.015)
    4.0
    """
    floor = max(scores.values()) * (1.0 - tolerance)
    return max(key for key, score in scores.items() if score >= floor)


def _text_vectors(data: Interactions) -> FloatArray:
    """Sentence vectors of the items' text; items without text get zeros."""
    if not any(text.strip() for text in data.item_text):
        return np.zeros((data.n_items, TEXT_DIM), np.float32)
    return embed_texts(data.item_text)


def _standardised_features(data: Interactions) -> FloatArray | None:
    """Item features with zero mean and unit variance per column (constant columns: 0)."""
    if data.item_features is None or data.item_features.shape[1] == 0:
        return None
    features = data.item_features.astype(np.float64)
    spread = features.std(axis=0)
    scaled = (features - features.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    standardised: FloatArray = scaled.astype(np.float32)
    return standardised
