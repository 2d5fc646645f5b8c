"""Ranking metrics and the evaluation protocol: pure, tested against hand-computed values."""

from mindshare.evaluation._fairness import (
    envy,
    expected_attention,
    exposure_disparity,
    group_totals,
    item_exposure,
    lorenz_curve,
    new_creator_exposure_share,
)
from mindshare.evaluation._metrics import (
    coverage,
    exposure_gini,
    gini,
    mrr_at,
    ndcg_at,
    pessimistic_rank,
    recall_at,
    top_k,
)
from mindshare.evaluation._protocol import (
    BATCH_USERS,
    Phase,
    RankingReport,
    Scorer,
    evaluate_ranking,
    rank_held_out,
)
from mindshare.evaluation._split import NO_ITEM, Split, leave_last_out

__all__ = [
    "BATCH_USERS",
    "NO_ITEM",
    "Phase",
    "RankingReport",
    "Scorer",
    "Split",
    "coverage",
    "envy",
    "evaluate_ranking",
    "expected_attention",
    "exposure_disparity",
    "exposure_gini",
    "gini",
    "group_totals",
    "item_exposure",
    "leave_last_out",
    "lorenz_curve",
    "mrr_at",
    "ndcg_at",
    "new_creator_exposure_share",
    "pessimistic_rank",
    "rank_held_out",
    "recall_at",
    "top_k",
]
