"""Quests: rewards for attention a world wants to encourage, with limits and budgets.

A world lists its quests under ``"economy" → "quests"``; each is a ``QuestRule``. A
period's verified attention rows are evaluated against them by ``evaluate_quests``,
which pays from the reward pool, within each quest's per-person limit and budget.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal, NamedTuple, get_args

from mindshare.core import ConfigurationError, InputError
from mindshare.economy._accounts import (
    Posting,
    TransferCode,
    person_account,
    reward_pool_account,
    transfer_id,
    user_data,
)

QuestKind = Literal["new_creator_attention", "attention_total", "distinct_creators"]
QUEST_KINDS: tuple[QuestKind, ...] = get_args(QuestKind)


@dataclass(frozen=True, slots=True)
class QuestRule:
    """One quest: what completes it, what it pays, and how often.

    Parameters
    ----------
    id
        Names the quest in statements and transfer ids.
    kind
        ``new_creator_attention``: give ``threshold`` attentive ms to creators the
        person had not attended in the ``window_days`` days before the period.
        ``attention_total``: give ``threshold`` attentive ms in all.
        ``distinct_creators``: attend ``threshold`` different creators.
    threshold
        Progress one completion takes; progress of k × ``threshold`` is k completions.
    reward_minor
        Paid per completion, in minor units of the economy's currency.
    window_days
        How far back "had not attended" looks (``new_creator_attention`` only).
    limit_per_person
        Most completions one person is paid for in a period.
    budget_minor
        Most the quest pays in a period, all people together; ``None`` for no limit.
    """

    id: str
    kind: QuestKind
    threshold: int
    reward_minor: int
    window_days: int = 7
    limit_per_person: int = 1
    budget_minor: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ConfigurationError(f"a quest's id must be a non-empty string, got {self.id!r}")
        where = f"quest {self.id!r}"
        if self.kind not in QUEST_KINDS:
            raise ConfigurationError(
                f"{where}: kind is {self.kind!r}; choose one of {', '.join(QUEST_KINDS)}"
            )
        for name, least in (
            ("threshold", 1),
            ("reward_minor", 0),
            ("window_days", 0),
            ("limit_per_person", 1),
        ):
            _check_whole(where, name, getattr(self, name), least)
        if self.budget_minor is not None:
            _check_whole(where, "budget_minor", self.budget_minor, 0)

    @classmethod
    def from_config(cls, entry: object, *, index: int = 0) -> "QuestRule":
        """A quest from one entry of the config's quest list; errors name the quest."""
        if not isinstance(entry, Mapping):
            raise ConfigurationError(
                f"economy.quests[{index}] must be an object, not {type(entry).__name__}"
            )
        where = f"economy.quests[{index}] ({entry.get('id', '?')!r})"
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(entry) - known)
        if unknown:
            raise ConfigurationError(
                f"{where}: unknown setting(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(sorted(known))}"
            )
        missing = [
            name for name in ("id", "kind", "threshold", "reward_minor") if name not in entry
        ]
        if missing:
            raise ConfigurationError(f"{where}: missing {', '.join(missing)}")
        try:
            return cls(**entry)
        except ConfigurationError as error:
            raise ConfigurationError(f"economy.quests[{index}]: {error}") from None


class QuestAttention(NamedTuple):
    """One row of verified attention: a person, a creator, a day number, attentive ms."""

    user_id: str
    creator_id: str
    day: int
    attentive_ms: int


@dataclass(frozen=True, slots=True)
class QuestLine:
    """One person's result on one quest this period."""

    quest_id: str
    user_id: str
    progress: int
    completions: int
    rewarded_completions: int
    reward_minor: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class QuestPlan:
    """The period's quest completions and the transfers that pay them."""

    lines: tuple[QuestLine, ...]
    postings: tuple[Posting, ...]

    @property
    def total_minor(self) -> int:
        """What the quests pay this period, all together."""
        return sum(line.reward_minor for line in self.lines)

    def statement_rows(self) -> list[dict[str, str | int]]:
        """One row per person and quest completed, for a printed statement."""
        return [
            {
                "quest": line.quest_id,
                "user_id": line.user_id,
                "progress": line.progress,
                "completions": line.completions,
                "rewarded": line.rewarded_completions,
                "reward_minor": line.reward_minor,
                "note": line.note,
            }
            for line in self.lines
        ]


def parse_quests(entries: object) -> tuple[QuestRule, ...]:
    """The config's quest list as rules; each id once."""
    if isinstance(entries, str) or not isinstance(entries, Sequence):
        raise ConfigurationError(
            f"economy.quests must be a list of quests, not {type(entries).__name__}"
        )
    quests = tuple(
        entry if isinstance(entry, QuestRule) else QuestRule.from_config(entry, index=i)
        for i, entry in enumerate(entries)
    )
    seen: set[str] = set()
    for quest in quests:
        if quest.id in seen:
            raise ConfigurationError(f"economy.quests: quest id {quest.id!r} appears twice")
        seen.add(quest.id)
    return quests


def evaluate_quests(
    quests: Sequence[QuestRule],
    attention: Iterable[tuple[str, str, int, int]],
    *,
    period_start_day: int,
    period_end_day: int,
    currency: str,
    period: str,
    available_minor: int | None = None,
) -> QuestPlan:
    """Who completed which quest in the period, and what each is paid.

    The period is the days ``period_start_day ≤ day < period_end_day``. Rows before it
    are history (for "had not attended before"); rows on or after its end are ignored.
    Rows are verified attention: the caller leaves unverified attention out.

    People are paid for at most ``limit_per_person`` completions per quest. When a
    quest's ``budget_minor``, or ``available_minor`` (what the reward pool holds, shared
    by all quests in config order) runs short, people are paid in order of user id,
    whole completions only, and the rest get a note saying so.
    """
    if period_end_day <= period_start_day:
        raise InputError(
            f"the period's days run from {period_start_day} up to {period_end_day}; "
            "the end must come after the start"
        )
    rows = _checked(attention)
    remaining = available_minor
    lines: list[QuestLine] = []
    postings: list[Posting] = []
    for quest in quests:
        progress = _progress(quest, rows, period_start_day, period_end_day)
        budget = quest.budget_minor
        for user_id in sorted(progress):
            completions = min(progress[user_id] // quest.threshold, quest.limit_per_person)
            if completions == 0:
                continue
            affordable, short = completions, ""
            for limit, what in ((budget, "quest budget"), (remaining, "reward pool")):
                within = _completions_within(limit, quest.reward_minor)
                if within is not None and within < affordable:
                    affordable, short = within, what
            reward = affordable * quest.reward_minor
            budget = None if budget is None else budget - reward
            remaining = None if remaining is None else remaining - reward
            note = ""
            if affordable < completions:
                note = f"{short} spent: {affordable} of {completions} completion(s) rewarded"
            lines.append(
                QuestLine(
                    quest_id=quest.id,
                    user_id=user_id,
                    progress=progress[user_id],
                    completions=completions,
                    rewarded_completions=affordable,
                    reward_minor=reward,
                    note=note,
                )
            )
            if reward > 0:
                postings.append(
                    Posting(
                        transfer_id=transfer_id("quest", currency, period, quest.id, user_id),
                        debit_account_id=reward_pool_account(currency),
                        credit_account_id=person_account(user_id, currency),
                        amount=reward,
                        code=TransferCode.QUEST_REWARD,
                        user_data=user_data(f"quest {quest.id} × {affordable}, {period}"),
                    )
                )
    return QuestPlan(lines=tuple(lines), postings=tuple(postings))


def _progress(
    quest: QuestRule, rows: Sequence[QuestAttention], start: int, end: int
) -> dict[str, int]:
    """Each person's progress on ``quest`` in the period (people with none left out)."""
    in_period = [row for row in rows if start <= row.day < end and row.attentive_ms > 0]
    progress: dict[str, int] = defaultdict(int)
    if quest.kind == "attention_total":
        for row in in_period:
            progress[row.user_id] += row.attentive_ms
    elif quest.kind == "distinct_creators":
        attended = {(row.user_id, row.creator_id) for row in in_period}
        for user_id, _ in attended:
            progress[user_id] += 1
    else:
        seen = {
            (row.user_id, row.creator_id)
            for row in rows
            if start - quest.window_days <= row.day < start and row.attentive_ms > 0
        }
        for row in in_period:
            if (row.user_id, row.creator_id) not in seen:
                progress[row.user_id] += row.attentive_ms
    return dict(progress)


def _completions_within(limit: int | None, reward_minor: int) -> int | None:
    """How many rewards ``limit`` pays for; ``None`` when it sets no bound."""
    if limit is None or reward_minor == 0:
        return None
    return limit // reward_minor


def _checked(attention: Iterable[tuple[str, str, int, int]]) -> list[QuestAttention]:
    rows: list[QuestAttention] = []
    for i, given in enumerate(attention):
        row = QuestAttention(*given)
        for name in ("day", "attentive_ms"):
            value = getattr(row, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"attention row {i}: {name} is {value!r}; it must be an integer")
        if row.attentive_ms < 0:
            raise InputError(
                f"attention row {i}: attentive_ms is {row.attentive_ms}; it must be ≥ 0"
            )
        rows.append(row)
    return rows


def _check_whole(where: str, name: str, value: Any, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ConfigurationError(f"{where}: {name} must be a whole number ≥ {least}, got {value!r}")
