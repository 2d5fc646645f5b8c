"""Economy rules read from a world's config: defaults, overrides, and refusals that say why."""

from typing import Any

import pytest

from mindshare.core import ConfigurationError
from mindshare.economy import EconomyRules, QuestRule


def test_defaults_when_the_world_sets_no_economy_rules() -> None:
    rules = EconomyRules.from_world_config(None)
    assert rules == EconomyRules.from_world_config({"feeds": {}}) == EconomyRules()
    assert rules.currency == "USD"
    assert (rules.creator_pool_ad_share, rules.reward_ad_share) == (0.5, 0.1)
    assert (rules.subscription_pool_minor, rules.emission_minor) == (0, 0)
    assert (rules.minimum_payout_minor, rules.holdback_unverified) == (100, 1.0)
    assert rules.quests == ()


def test_a_world_overrides_some_rules_and_keeps_the_rest() -> None:
    rules = EconomyRules.from_config(
        {"economy": {"currency": "GEMS", "emission_minor": 5_000, "holdback_unverified": 0}}
    )
    assert rules.currency == "GEMS"
    assert rules.emission_minor == 5_000
    assert rules.holdback_unverified == 0.0
    assert rules.creator_pool_ad_share == EconomyRules().creator_pool_ad_share


def test_quests_are_read_from_a_list_of_objects() -> None:
    rules = EconomyRules.from_world_config(
        {
            "economy": {
                "quests": [
                    {
                        "id": "explorer",
                        "kind": "new_creator_attention",
                        "threshold": 600_000,
                        "reward_minor": 50,
                        "budget_minor": 10_000,
                    },
                    {"id": "regular", "kind": "attention_total", "threshold": 1, "reward_minor": 1},
                ]
            }
        }
    )
    assert rules.quests == (
        QuestRule("explorer", "new_creator_attention", 600_000, 50, budget_minor=10_000),
        QuestRule("regular", "attention_total", 1, 1),
    )
    assert rules.quests[0].window_days == 7
    assert rules.quests[0].limit_per_person == 1


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ([], "the world config's 'economy' must be an object, not list"),
        ({"pool": 1}, "unknown economy setting(s) 'pool'; known: creator_pool_ad_share"),
        ({"currency": "usd"}, "economy.currency must be a currency code"),
        (
            {"creator_pool_ad_share": 1.5},
            "economy.creator_pool_ad_share must lie in [0, 1], got 1.5",
        ),
        ({"reward_ad_share": True}, "economy.reward_ad_share must lie in [0, 1], got True"),
        ({"holdback_unverified": "all"}, "economy.holdback_unverified must lie in [0, 1]"),
        ({"emission_minor": 1.5}, "economy.emission_minor must be a whole number of minor units"),
        ({"minimum_payout_minor": -1}, "economy.minimum_payout_minor must be a whole number"),
        (
            {"creator_pool_ad_share": 0.7, "reward_ad_share": 0.4},
            "together they must be at most 1",
        ),
        ({"quests": {"id": "q"}}, "economy.quests must be a list of quests, not dict"),
        ({"quests": ["q"]}, "economy.quests[0] must be an object, not str"),
        (
            {"quests": [{"id": "q", "kind": "attention_total", "threshold": 1}]},
            "economy.quests[0] ('q'): missing reward_minor",
        ),
        (
            {"quests": [{"id": "q", "kind": "attention", "threshold": 1, "reward_minor": 1}]},
            "economy.quests[0]: quest 'q': kind is 'attention'; choose one of "
            "new_creator_attention, attention_total, distinct_creators",
        ),
        (
            {"quests": [{"id": "q", "kind": "attention_total", "threshold": 0, "reward_minor": 1}]},
            "economy.quests[0]: quest 'q': threshold must be a whole number ≥ 1, got 0",
        ),
        (
            {
                "quests": [
                    {"id": "q", "kind": "attention_total", "threshold": 1, "reward_minor": 1},
                    {"id": "q", "kind": "distinct_creators", "threshold": 1, "reward_minor": 1},
                ]
            },
            "economy.quests: quest id 'q' appears twice",
        ),
        (
            {
                "quests": [
                    {
                        "id": "q",
                        "kind": "attention_total",
                        "threshold": 1,
                        "reward_minor": 1,
                        "cooldown": 3,
                    }
                ]
            },
            "economy.quests[0] ('q'): unknown setting(s) 'cooldown'",
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_setting(section: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        EconomyRules.from_world_config({"economy": section})
    assert message in str(error.value)


def test_shares_that_add_up_to_exactly_one_are_allowed() -> None:
    rules = EconomyRules(creator_pool_ad_share=0.9, reward_ad_share=0.1)
    assert (rules.creator_pool_ad_share, rules.reward_ad_share) == (0.9, 0.1)
