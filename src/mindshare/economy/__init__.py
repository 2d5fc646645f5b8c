"""The economy: the pure rules that turn a period's attention into ledger transfers.

Creators are paid from a creator pool by the attention they earned
(``pool_amount``, ``plan_payouts``, ``settle_holdback``); people are rewarded for
verified ad attention and for quests (``reward_pool_amount``, ``reward_ad_attention``,
``evaluate_quests``); advertisers pay for verified attention (``settle_ad_charges``).
Each returns a plan: lines for a statement (``statement_rows``) and the postings
(``Posting``) the engine hands to the ledger, with ids that make a re-run a no-op. Accounts are
named in one place (``_accounts``); amounts are split with ``split_pro_rata``.

Nothing here touches the store or the ledger. The economy defines no errors of its
own: bad input raises ``mindshare.core.InputError`` and bad world configuration
``mindshare.core.ConfigurationError``, each with a message that says which value.
"""

from mindshare.economy._accounts import (
    ACCOUNT_KINDS,
    MAX_ID_LENGTH,
    AccountKind,
    AccountSpec,
    Posting,
    TransferCode,
    account_spec,
    advertiser_account,
    advertiser_funding_account,
    bounded_id,
    creator_account,
    creator_pool_account,
    emission_account,
    holdback_account,
    market_escrow_account,
    person_account,
    platform_accounts,
    platform_revenue_account,
    reward_pool_account,
    transfer_id,
    user_data,
)
from mindshare.economy._charges import (
    AdImpression,
    ChargeLine,
    ChargePlan,
    charge_caps,
    fund_advertiser,
    settle_ad_charges,
)
from mindshare.economy._payouts import (
    CreatorEngagement,
    PayoutLine,
    PayoutPlan,
    PoolFunding,
    plan_payouts,
    pool_amount,
    settle_holdback,
)
from mindshare.economy._period import Period, parse_period
from mindshare.economy._quests import (
    QUEST_KINDS,
    QuestAttention,
    QuestKind,
    QuestLine,
    QuestPlan,
    QuestRule,
    evaluate_quests,
)
from mindshare.economy._rewards import (
    RewardLine,
    RewardPlan,
    reward_ad_attention,
    reward_pool_amount,
    verified_ad_attention,
)
from mindshare.economy._rules import EconomyRules
from mindshare.economy._split import floor_share, split_pro_rata

__all__ = [
    "ACCOUNT_KINDS",
    "MAX_ID_LENGTH",
    "QUEST_KINDS",
    "AccountKind",
    "AccountSpec",
    "AdImpression",
    "ChargeLine",
    "ChargePlan",
    "CreatorEngagement",
    "EconomyRules",
    "PayoutLine",
    "PayoutPlan",
    "Period",
    "PoolFunding",
    "Posting",
    "QuestAttention",
    "QuestKind",
    "QuestLine",
    "QuestPlan",
    "QuestRule",
    "RewardLine",
    "RewardPlan",
    "TransferCode",
    "account_spec",
    "advertiser_account",
    "advertiser_funding_account",
    "bounded_id",
    "charge_caps",
    "creator_account",
    "creator_pool_account",
    "emission_account",
    "evaluate_quests",
    "floor_share",
    "fund_advertiser",
    "holdback_account",
    "market_escrow_account",
    "parse_period",
    "person_account",
    "plan_payouts",
    "platform_accounts",
    "platform_revenue_account",
    "pool_amount",
    "reward_ad_attention",
    "reward_pool_account",
    "reward_pool_amount",
    "settle_ad_charges",
    "settle_holdback",
    "split_pro_rata",
    "transfer_id",
    "user_data",
    "verified_ad_attention",
]
