"""Quests over a hand-made week: what completes each kind, limits, budgets, and transfers."""

import pytest

from mindshare.core import ConfigurationError, InputError
from mindshare.economy import QuestAttention, QuestLine, QuestPlan, QuestRule, evaluate_quests

START, END = 100, 107  # the week is days 100 to 106
MINUTE = 60_000

WEEK = [
    # ann saw c1 the week before, so only c2 and c3 are new to her: 400 000 + 250 000 ms.
    QuestAttention("ann", "c1", 95, 5 * MINUTE),
    QuestAttention("ann", "c1", 100, 400_000),
    QuestAttention("ann", "c2", 101, 400_000),
    QuestAttention("ann", "c3", 103, 250_000),
    # bob saw c1 long before the window: c1 and c2 are both new, 500 000 ms in all.
    QuestAttention("bob", "c1", 80, 100_000),
    QuestAttention("bob", "c1", 102, 300_000),
    QuestAttention("bob", "c2", 104, 200_000),
    # cat gives ten minutes to c4; her row of day 107 is after the week and does not count.
    QuestAttention("cat", "c4", 106, 10 * MINUTE),
    QuestAttention("cat", "c5", 107, 60 * MINUTE),
]

EXPLORER = QuestRule("explorer", "new_creator_attention", threshold=10 * MINUTE, reward_minor=50)
REGULAR = QuestRule("regular", "attention_total", 500_000, reward_minor=10, limit_per_person=2)
VARIETY = QuestRule("variety", "distinct_creators", 2, reward_minor=20, budget_minor=30)


def evaluate(quests: list[QuestRule], **kwargs: int) -> QuestPlan:
    return evaluate_quests(
        quests,
        WEEK,
        period_start_day=START,
        period_end_day=END,
        currency="USD",
        period="2024-W18",
        **kwargs,
    )


def test_ten_minutes_to_creators_not_seen_the_week_before_completes_explorer() -> None:
    plan = evaluate([EXPLORER])
    assert plan.lines == (
        QuestLine("explorer", "ann", 650_000, 1, 1, 50),
        QuestLine("explorer", "cat", 600_000, 1, 1, 50),
    )
    assert [
        (p.transfer_id, p.debit_account_id, p.credit_account_id, p.amount) for p in plan.postings
    ] == [
        ("quest:USD:2024-W18:explorer:ann", "pool:rewards:USD", "person:ann:USD", 50),
        ("quest:USD:2024-W18:explorer:cat", "pool:rewards:USD", "person:cat:USD", 50),
    ]


def test_a_window_of_zero_days_makes_every_creator_new() -> None:
    plan = evaluate(
        [QuestRule("explorer", "new_creator_attention", 10 * MINUTE, 50, window_days=0)]
    )
    assert [(line.user_id, line.progress) for line in plan.lines] == [
        ("ann", 1_050_000),
        ("cat", 600_000),
    ]


def test_total_attention_completes_once_per_threshold_up_to_the_limit() -> None:
    # ann 1 050 000 ms → 2 completions (limit 2); bob 500 000 → 1; cat 600 000 → 1.
    plan = evaluate([REGULAR])
    assert [(line.user_id, line.completions, line.reward_minor) for line in plan.lines] == [
        ("ann", 2, 20),
        ("bob", 1, 10),
        ("cat", 1, 10),
    ]
    assert plan.total_minor == 40


SPENT = "quest budget spent: 0 of 1 completion(s) rewarded"


def test_when_the_budget_runs_out_people_are_paid_in_user_id_order() -> None:
    # ann attended 3 creators and bob 2: both complete; the budget of 30 pays one reward of 20.
    plan = evaluate([VARIETY])
    assert plan.lines == (
        QuestLine("variety", "ann", 3, 1, 1, 20),
        QuestLine("variety", "bob", 2, 1, 0, 0, SPENT),
    )
    assert [p.credit_account_id for p in plan.postings] == ["person:ann:USD"]


def test_what_the_reward_pool_holds_caps_all_quests_in_config_order() -> None:
    plan = evaluate([EXPLORER, REGULAR], available_minor=75)
    assert [(line.quest_id, line.user_id, line.reward_minor) for line in plan.lines] == [
        ("explorer", "ann", 50),
        ("explorer", "cat", 0),
        ("regular", "ann", 20),
        ("regular", "bob", 0),
        ("regular", "cat", 0),
    ]
    assert plan.lines[1].note == "reward pool spent: 0 of 1 completion(s) rewarded"
    assert plan.total_minor == sum(p.amount for p in plan.postings) == 70


def test_the_statement_has_one_row_per_person_and_quest() -> None:
    assert evaluate([VARIETY]).statement_rows()[1] == {
        "quest": "variety",
        "user_id": "bob",
        "progress": 2,
        "completions": 1,
        "rewarded": 0,
        "reward_minor": 0,
        "note": "quest budget spent: 0 of 1 completion(s) rewarded",
    }


def test_evaluating_twice_gives_the_same_plan() -> None:
    assert evaluate([EXPLORER, REGULAR, VARIETY]) == evaluate([EXPLORER, REGULAR, VARIETY])


def test_bad_rows_and_periods_are_refused() -> None:
    with pytest.raises(InputError, match="the end must come after the start"):
        evaluate_quests([], [], period_start_day=5, period_end_day=5, currency="USD", period="p")
    with pytest.raises(InputError, match="attention row 0: attentive_ms is -1"):
        evaluate_quests(
            [],
            [("a", "c", 1, -1)],
            period_start_day=0,
            period_end_day=7,
            currency="USD",
            period="p",
        )


def test_quest_rules_refuse_bad_settings_naming_the_quest() -> None:
    with pytest.raises(ConfigurationError, match="quest 'q': limit_per_person must be a whole"):
        QuestRule("q", "attention_total", 1, 1, limit_per_person=0)
    with pytest.raises(ConfigurationError, match="quest 'q': budget_minor must be a whole"):
        QuestRule("q", "attention_total", 1, 1, budget_minor=-5)
