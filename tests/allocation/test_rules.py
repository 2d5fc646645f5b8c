"""Feed rules read from a world's config: defaults, overrides, and refusals that say why."""

import pytest

from mindshare.allocation import FeedRules
from mindshare.core import ConfigurationError


def test_defaults_when_the_world_sets_no_feed_rules() -> None:
    assert FeedRules.from_world_config(None) == FeedRules()
    assert FeedRules.from_world_config({"attention": {}}) == FeedRules()


def test_a_world_overrides_some_rules_and_keeps_the_rest() -> None:
    rules = FeedRules.from_world_config({"feeds": {"ad_positions": [2, 5], "auction": "vcg"}})
    assert rules.ad_positions == (2, 5)
    assert rules.auction == "vcg"
    assert rules.daily_budget_ms == FeedRules().daily_budget_ms


def test_the_ad_load_caps_the_ad_slots_of_a_feed() -> None:
    rules = FeedRules(ad_positions=(2, 5, 8), max_ad_share=0.2)
    assert rules.ad_slots(10) == (2, 5)  # 20% of 10 slots
    assert rules.ad_slots(6) == (2,)  # slot 8 is past the end; 20% of 6 is one ad
    assert rules.ad_slots(4) == ()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"feeds": []}, "'feeds' must be an object, not list"),
        ({"feeds": {"budget": 1}}, "unknown feeds setting(s) 'budget'; known: ad_positions"),
        ({"feeds": {"ad_positions": [5, 2]}}, "must be increasing"),
        ({"feeds": {"auction": "dutch"}}, "'gsp', 'vcg' or 'first'"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(config: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FeedRules.from_world_config(config)
