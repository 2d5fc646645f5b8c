"""Ranking metrics and the evaluation protocol: pure, tested against hand-computed values."""

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
    "evaluate_ranking",
    "exposure_gini",
    "gini",
    "leave_last_out",
    "mrr_at",
    "ndcg_at",
    "pessimistic_rank",
    "rank_held_out",
    "recall_at",
    "top_k",
]
