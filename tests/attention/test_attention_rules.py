"""AttentionRules: defaults, validation, and a world's config override."""

from typing import Any

import pytest

from mindshare.attention import AttentionRules
from mindshare.core import ConfigurationError


def test_defaults_follow_the_iab_mrc_display_rule_and_cap_a_view_at_ten_minutes() -> None:
    rules = AttentionRules()

    assert (rules.min_visible_fraction, rules.min_view_ms, rules.max_view_ms) == (
        0.5,
        1_000,
        600_000,
    )


@pytest.mark.parametrize("config", [None, {}, {"attention": None}, {"attention": {}}])
def test_a_world_without_attention_settings_gets_the_defaults(
    config: dict[str, Any] | None,
) -> None:
    assert AttentionRules.from_world_config(config) == AttentionRules()


def test_a_world_config_overrides_only_the_keys_it_sets() -> None:
    config = {"attention": {"min_view_ms": 2_000, "max_view_ms": 60_000}, "other": 1}

    rules = AttentionRules.from_world_config(config)

    assert rules == AttentionRules(min_visible_fraction=0.5, min_view_ms=2_000, max_view_ms=60_000)


@pytest.mark.parametrize(
    "settings",
    [
        {"min_visible_fraction": 1.5},
        {"min_visible_fraction": -0.1},
        {"min_visible_fraction": "half"},
        {"min_visible_fraction": True},
        {"min_view_ms": -1},
        {"min_view_ms": 1.5},
        {"max_view_ms": 0},
        {"max_view_ms": "600000"},
        {"min_view_ms": 5_000, "max_view_ms": 4_000},
    ],
)
def test_rules_that_cannot_work_are_a_configuration_error(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        AttentionRules(**settings)


def test_an_unknown_attention_setting_is_named_in_the_error() -> None:
    with pytest.raises(ConfigurationError, match="min_dwell_ms"):
        AttentionRules.from_world_config({"attention": {"min_dwell_ms": 1_000}})


def test_an_attention_section_that_is_not_an_object_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="object"):
        AttentionRules.from_world_config({"attention": [1_000]})


def test_a_bad_value_in_a_world_config_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="max_view_ms"):
        AttentionRules.from_world_config({"attention": {"max_view_ms": -5}})
