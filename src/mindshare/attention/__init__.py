"""Attentive time from views: viewability rules, overlap merging, budgets and daily aggregates.

The unit is the attentive millisecond: time an item was viewably in view, capped
per view, with each person's overlapping views sharing their wall-clock time.
Trending ranks items by recent attention tilted towards the rising ones.
"""

from mindshare.attention._aggregates import (
    CreatorAttention,
    DailyAttention,
    DailyBudget,
    ItemAttention,
    PersonAttention,
    attention_by_creator,
    attention_by_day,
    attention_by_item,
    attention_by_person,
    daily_budgets,
    refresh_attention,
    refresh_attention_days,
    refresh_attention_views,
)
from mindshare.attention._measure import ObservedBudgets, attentive_ms, observed_daily_budget
from mindshare.attention._rules import AttentionRules
from mindshare.attention._trending import (
    TrendingScores,
    rank_trending,
    trending_windows,
)

__all__ = [
    "AttentionRules",
    "CreatorAttention",
    "DailyAttention",
    "DailyBudget",
    "ItemAttention",
    "ObservedBudgets",
    "PersonAttention",
    "TrendingScores",
    "attention_by_creator",
    "attention_by_day",
    "attention_by_item",
    "attention_by_person",
    "attentive_ms",
    "daily_budgets",
    "observed_daily_budget",
    "rank_trending",
    "refresh_attention",
    "refresh_attention_days",
    "refresh_attention_views",
    "trending_windows",
]
