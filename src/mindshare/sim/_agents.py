"""The agents of a simulated world: people, creators, advertisers and traders.

``SimulatedWorld`` implements ``mindshare.engine.Population``, so ``engine.run_day``
drives it through the real engine one day at a time. Everything the agents do is drawn
from a ``numpy.random.Generator`` seeded by ``(seed, phase, day)``: the same config gives
the same records byte for byte, whatever was asked before, and a world restored from
``state_dict`` continues exactly as the original would have.

**People** have Dirichlet interests over topics, a daily activity probability and a
lognormal attention budget. A visitor reads their feed top down and chooses by a
position-biased multinomial logit with a no-choice option, the user-choice model of
RecSim (Ie et al. 2019) and T-RECS (Lucherini et al. 2021): slot ``j`` holding item ``i``
is chosen with probability proportional to
``exp(β · u(i)) / log2(1 + j)``, against ``exp(β · u0)`` for stopping, where
``u(i) = interest(topic i) × quality(i) × boredom(seen) - satiation(topic i)``. After a
choice they may go on down the feed (only below what they chose) until their budget is
spent or they stop. Consuming a topic adds to its satiation, which decays each day; an
item consumed before keeps only ``boredom`` of its appeal. Dwell is lognormal around a
mean that grows with interest and quality. A person whose realised utility stays below
``churn_threshold`` for ``churn_days`` visits in a row leaves for good; new people join.

**Creators** have a topic, a quality and a Poisson production rate. They adapt to what
the settled day paid them: one paid too little for ``exit_patience_days`` days in a row
stops producing; new creators enter at a rate that grows with the mean pay; and with a
small probability a creator moves to the topic with most attention per creator.

**Advertisers** fund a daily campaign per attentive second, bid their value shaded, and
target the people whose favourite topic is theirs (person attribute ``topic``).

**Traders**: some items are assets with a price; people deposit money now and then,
owners list assets, and people who like an asset's topic buy listings (few per day, as
each trade goes through the ledger).
"""

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from mindshare.ads import Campaign, Targeting
from mindshare.core import MS_PER_DAY, MS_PER_MINUTE, InputError, to_epoch_ms
from mindshare.engine import (
    Arrivals,
    CampaignOffer,
    DayOutcome,
    Deposit,
    Feed,
    Offer,
    OpenListing,
    Purchase,
    Trade,
)
from mindshare.events import RecordKind
from mindshare.sim._agents_config import LATEST_SESSION_END_MINUTES, WorldConfig

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Record = dict[str, Any]
MarketAction = Deposit | Offer | Purchase

#: Item kinds as stored in ``SimulatedWorld``'s arrays.
CONTENT, ASSET, AD = 0, 1, 2
_KIND_NAMES = ("content", "asset", "ad")
#: Pairs (person, item) and (person, creator) are kept as one sorted int64 key each.
_KEY_SHIFT = np.int64(1 << 32)
#: Version of ``state_dict``'s layout; ``from_state`` refuses any other.
STATE_FORMAT = 1
#: A feed is served at noon; a session may start then and ends by 23:59 UTC.
_NOON_MS = MS_PER_DAY // 2
_MAX_ENTRY_BOOST = 4.0


class _Phase(IntEnum):
    """Which part of a day a random draw belongs to (part of its seed)."""

    START = 0
    ARRIVALS = 1
    VISITORS = 2
    RESPOND = 3
    TRADE = 4
    OBSERVE = 5


@dataclass(frozen=True, slots=True, eq=False)
class DayLog:
    """What one day did to the agents, as arrays aligned with ``person_ids``/``creator_ids``.

    Day numbers (``joined_day``, ``creator_entry_day``) count from ``WorldConfig.start``.
    ``creator_income_minor`` is zero until ``observe`` has seen the day's settlement.
    """

    day: date
    person_ids: tuple[str, ...]
    #: Served a feed today.
    visited: BoolArray
    #: Sum over consumed items of the utility at the moment of choice (0 when none).
    utility: FloatArray
    #: Dwell of every view made today.
    dwell_ms: IntArray
    #: The items each visitor consumed, in order (visitors who consumed nothing omitted).
    consumed: Mapping[str, tuple[str, ...]]
    #: In the world at the end of the day: joined and not churned.
    active: BoolArray
    churned: BoolArray
    joined_day: IntArray
    creator_ids: tuple[str, ...]
    creator_active: BoolArray
    creator_entry_day: IntArray
    creator_topic: IntArray
    #: Paid to each creator by today's settlement.
    creator_income_minor: IntArray
    #: Dwell of today's views of each creator's items.
    creator_attention_ms: IntArray
    #: Position exposure each creator's items got in today's feeds (organic slots).
    creator_exposure: FloatArray


class SimulatedWorld:
    """People, creators, advertisers and traders that answer ``engine.run_day``.

    Implements ``mindshare.engine.Population``. Each method may be called again for the
    same day and answers the same (arrivals and visitors are kept for the day). Resume an
    interrupted simulation with ``state_dict``/``from_state`` (or pickle the object: its
    state is plain NumPy arrays, lists and dicts, and its randomness is re-derived from
    the seed each day, so there is no generator state to save).

    Examples
    --------
    >>> world = SimulatedWorld(WorldConfig(people=20, creators=4, seed=1))
    >>> arrivals = world.arrivals(world.config.start)
    >>> len(arrivals.records[RecordKind.PEOPLE]), len(world.visitors(world.config.start)) > 0
    (20, True)
    """

    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        rng = self._rng(config.start, _Phase.START)
        topics = config.topics
        # People.
        self._person_ids: list[str] = []
        self._person_index: dict[str, int] = {}
        self._interest = np.zeros((0, topics))
        self._top_topic = np.zeros(0, np.int64)
        self._activity = np.zeros(0)
        self._budget_ms = np.zeros(0)
        self._satiation = np.zeros((0, topics))
        self._low_days = np.zeros(0, np.int64)
        self._churned = np.zeros(0, bool)
        self._joined_day = np.zeros(0, np.int64)
        self._wallet_minor = np.zeros(0, np.int64)
        self._seen = np.zeros(0, np.int64)
        self._follows = np.zeros(0, np.int64)
        # Creators.
        self._creator_ids: list[str] = []
        self._creator_index: dict[str, int] = {}
        self._creator_topic = np.zeros(0, np.int64)
        self._creator_quality = np.zeros(0)
        self._creator_rate = np.zeros(0)
        self._creator_active = np.zeros(0, bool)
        self._creator_entry_day = np.zeros(0, np.int64)
        self._creator_low_days = np.zeros(0, np.int64)
        self._creator_income_minor = np.zeros(0, np.int64)
        # Items (content, assets and ads); advertiser n's creatives have creator -1 - n.
        self._item_ids: list[str] = []
        self._item_index: dict[str, int] = {}
        self._item_creator = np.zeros(0, np.int64)
        self._item_topic = np.zeros(0, np.int64)
        self._item_quality = np.zeros(0)
        self._item_kind = np.zeros(0, np.int64)
        self._item_price = np.zeros(0, np.int64)
        self._owner: dict[int, str] = {}
        # Advertisers.
        n_ads = config.advertisers
        self._adv_topic = rng.integers(topics, size=n_ads).astype(np.int64)
        self._adv_budget_minor = np.round(
            config.advertiser_budget_median_minor * rng.lognormal(0.0, 0.5, size=n_ads)
        ).astype(np.int64)
        self._adv_value = config.advertiser_value_per_second * rng.lognormal(0.0, 0.4, n_ads)
        self._adv_balance_minor = np.zeros(n_ads, np.int64)
        self._adv_creatives: list[tuple[str, ...]] = []
        # The day's progress.
        self._introduced = False
        self._arrivals: tuple[date, Arrivals] | None = None
        self._visitors: tuple[date, IntArray] | None = None
        self._decayed_day = 0
        self._mean_pay_minor = 0.0
        self._topic_attention_ms = np.zeros(topics)
        self._logs: dict[date, DayLog] = {}
        self._pending_records: dict[RecordKind, list[Record]] = {kind: [] for kind in RecordKind}
        self._add_people(rng, config.people, day=0)
        self._add_creators(rng, config.creators, day=0)
        self._add_advertisers()

    # --- Population ---------------------------------------------------------------------

    def arrivals(self, day: date) -> Arrivals:
        """Today's new people, creators and items, and every advertiser's campaign.

        The first call brings the initial world; later days bring joiners, entrants and
        what active creators produced (Poisson per creator).
        """
        if self._arrivals is not None and self._arrivals[0] == day:
            return self._arrivals[1]
        d = self._day_number(day)
        rng = self._rng(day, _Phase.ARRIVALS)
        self._decay_satiation(d)
        if self._introduced:
            self._add_people(rng, int(rng.poisson(self.config.join_rate * self.config.people)), d)
            self._add_creators(rng, int(rng.poisson(self._entry_rate())), d)
            producing = np.flatnonzero(self._creator_active & (self._creator_entry_day < d))
            counts = rng.poisson(self._creator_rate[producing])
            self._add_items(rng, np.repeat(producing, counts), d)
        self._introduced = True
        records = {kind: list(rows) for kind, rows in self._pending_records.items()}
        self._pending_records = {kind: [] for kind in RecordKind}
        records[RecordKind.EVENTS] = []
        arrivals = Arrivals(records=records, campaigns=self._campaigns(day))
        self._arrivals = (day, arrivals)
        return arrivals

    def visitors(self, day: date) -> list[str]:
        """People who open the world today: each present person with their activity probability."""
        return [self._person_ids[p] for p in self._visitor_indices(day)]

    def respond(self, day: date, feeds: Sequence[Feed]) -> list[Record]:
        """The views, likes, follows and clicks people make with today's feeds.

        Each reader scrolls down their feed choosing by the position-biased logit with a
        no-choice option (see the module docstring) until they stop or their budget is
        spent. Views are back to back in one session after noon that ends by 23:59 UTC.
        """
        d = self._day_number(day)
        rng = self._rng(day, _Phase.RESPOND)
        reader, item, slot, kind, exposure = self._read_feeds(feeds)
        choices = self._choose(rng, reader, item, slot)
        records, consumed = self._events(rng, day, reader, item, slot, kind, choices)
        self._remember(reader, item, choices)
        self._log_respond(day, d, reader, item, exposure, kind, choices, consumed)
        return records

    def trade(self, day: date, listings: Sequence[OpenListing]) -> list[MarketAction]:
        """Deposits, owners' offers and purchases by people who like the asset's topic."""
        config = self.config
        if config.max_trades_per_day == 0:
            return []
        d = self._day_number(day)
        rng = self._rng(day, _Phase.TRADE)
        present = np.flatnonzero(~self._churned & (self._joined_day <= d))
        actions: list[MarketAction] = []
        if config.deposit_minor > 0 and present.size:
            depositors = present[rng.random(present.size) < config.deposit_rate]
            for p in depositors:
                user_id = self._person_ids[int(p)]
                actions.append(Deposit(user_id, config.deposit_minor, f"deposit-{day}-{user_id}"))
                self._wallet_minor[p] += config.deposit_minor
        actions.extend(self._offers(rng, day, listings))
        actions.extend(self._purchases(rng, listings, present))
        return actions

    def observe(self, outcome: DayOutcome) -> None:
        """Adapt to the settled day: creators' pay, advertisers' charges, settled trades."""
        statement = outcome.settlement.statement
        self.adapt(
            outcome.day,
            paid_minor={
                str(row["creator_id"]): int(row["paid_minor"])
                for row in statement.get("payouts", [])
            },
            charged_minor={
                str(row["advertiser_id"]): int(row["charged_minor"])
                for row in statement.get("charges", [])
            },
            trades=outcome.trades,
        )

    # --- adaptation, metrics and resume -------------------------------------------------

    def adapt(
        self,
        day: date,
        *,
        paid_minor: Mapping[str, int],
        charged_minor: Mapping[str, int] | None = None,
        trades: Sequence[Trade] = (),
    ) -> None:
        """Learn what ``day`` paid: creators leave, enter (next day) and shift topic.

        ``observe`` calls this with the settlement's statement; a test may call it with
        payouts of its own. A creator leaves after ``exit_patience_days`` days in a row
        paid under ``exit_income_minor``; each active creator moves, with probability
        ``topic_shift_probability``, to the topic with most attention per creator today
        when that beats their own.
        """
        config = self.config
        self._day_number(day)
        rng = self._rng(day, _Phase.OBSERVE)
        income = np.zeros(len(self._creator_ids), np.int64)
        for creator_id, amount in paid_minor.items():
            c = self._creator_index.get(creator_id)
            if c is not None:
                income[c] += amount
        self._creator_income_minor += income
        for advertiser_id, amount in (charged_minor or {}).items():
            n = _advertiser_number(advertiser_id)
            if n is not None and n < self._adv_balance_minor.size:
                self._adv_balance_minor[n] -= amount
        self._settle_trades(trades)

        active = self._creator_active.copy()
        low = active & (income < config.exit_income_minor)
        self._creator_low_days = np.where(low, self._creator_low_days + 1, 0)
        leaving = active & (self._creator_low_days >= config.exit_patience_days)
        self._creator_active = active & ~leaving
        self._mean_pay_minor = float(income[active].mean()) if active.any() else 0.0
        self._shift_topics(rng)

        log = self._logs.get(day)
        if log is not None:
            self._logs[day] = replace(
                log,
                creator_ids=tuple(self._creator_ids),
                creator_active=self._creator_active.copy(),
                creator_entry_day=self._creator_entry_day.copy(),
                creator_topic=self._creator_topic.copy(),
                creator_income_minor=income,
            )

    def day_log(self, day: date) -> DayLog:
        """What ``day`` did (after ``respond``; incomes after ``observe``)."""
        try:
            return self._logs[day]
        except KeyError:
            raise InputError(f"no day log for {day}: it has not been simulated") from None

    @property
    def days(self) -> tuple[date, ...]:
        """The days that have a log, in order."""
        return tuple(sorted(self._logs))

    def state_dict(self) -> dict[str, Any]:
        """Everything the world knows, as a deep copy: give it to ``from_state`` to resume.

        The values are the config, NumPy arrays, lists, dicts and ``DayLog``s, so the
        dict pickles. There is no generator state: each day's draws are seeded afresh.
        """
        return {"format": STATE_FORMAT, **copy.deepcopy(vars(self))}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "SimulatedWorld":
        """A world that continues exactly where the one that gave ``state`` stood."""
        if state.get("format") != STATE_FORMAT or not isinstance(state.get("config"), WorldConfig):
            raise InputError(f"not a SimulatedWorld state of format {STATE_FORMAT}")
        world = cls.__new__(cls)
        vars(world).update(copy.deepcopy({k: v for k, v in state.items() if k != "format"}))
        return world

    # --- people -------------------------------------------------------------------------

    @property
    def person_ids(self) -> tuple[str, ...]:
        """Every person who has been in the world, in order of arrival."""
        return tuple(self._person_ids)

    @property
    def creator_ids(self) -> tuple[str, ...]:
        """Every creator who has been in the world, in order of entry."""
        return tuple(self._creator_ids)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Every item made so far (content, assets and ad creatives), in order."""
        return tuple(self._item_ids)

    def creator_of(self, item_id: str) -> str:
        """Who made ``item_id``: a creator, or ``adv-<n>`` for an advertiser's creative."""
        i = self._item_index.get(item_id)
        if i is None:
            raise InputError(f"item {item_id!r} is not one of this world's")
        c = int(self._item_creator[i])
        return self._creator_ids[c] if c >= 0 else f"adv-{-c - 1}"

    def _add_people(self, rng: np.random.Generator, n: int, day: int) -> None:
        """Draw ``n`` people: interests (Dirichlet, relative to the favourite), activity, budget."""
        if n == 0:
            return
        config = self.config
        raw = rng.dirichlet(np.full(config.topics, config.interest_concentration), size=n)
        raw = np.maximum(raw, 1e-12)
        interest = raw / raw.max(axis=1, keepdims=True)
        activity = rng.beta(config.activity_alpha, config.activity_beta, size=n)
        minutes = np.minimum(
            config.budget_median_minutes * rng.lognormal(0.0, config.budget_sigma, size=n),
            config.budget_max_minutes,
        )
        start = len(self._person_ids)
        ids = [f"u{start + k + 1:06d}" for k in range(n)]
        top = interest.argmax(axis=1).astype(np.int64)
        self._person_ids.extend(ids)
        self._person_index.update({user_id: start + k for k, user_id in enumerate(ids)})
        self._interest = np.vstack([self._interest, interest])
        self._top_topic = np.concatenate([self._top_topic, top])
        self._activity = np.concatenate([self._activity, activity])
        self._budget_ms = np.concatenate([self._budget_ms, minutes * MS_PER_MINUTE])
        self._satiation = np.vstack([self._satiation, np.zeros((n, config.topics))])
        self._low_days = np.concatenate([self._low_days, np.zeros(n, np.int64)])
        self._churned = np.concatenate([self._churned, np.zeros(n, bool)])
        self._joined_day = np.concatenate([self._joined_day, np.full(n, day, np.int64)])
        self._wallet_minor = np.concatenate([self._wallet_minor, np.zeros(n, np.int64)])
        self._pending_records[RecordKind.PEOPLE].extend(
            {"user_id": user_id, "attributes": {"topic": int(t)}}
            for user_id, t in zip(ids, top, strict=True)
        )

    def _visitor_indices(self, day: date) -> IntArray:
        if self._visitors is not None and self._visitors[0] == day:
            return self._visitors[1]
        d = self._day_number(day)
        rng = self._rng(day, _Phase.VISITORS)
        draw = rng.random(len(self._person_ids))
        present = ~self._churned & (self._joined_day <= d)
        chosen = np.flatnonzero(present & (draw < self._activity)).astype(np.int64)
        self._visitors = (day, chosen)
        return chosen

    def _read_feeds(
        self, feeds: Sequence[Feed]
    ) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]:
        """Feeds as arrays: reader per row; item, slot number, kind, exposure per cell.

        Feeds of people this world does not know are left out; cells with no slot, or a
        slot holding an item this world did not make, hold item -1.
        """
        rows = [(self._person_index.get(feed.user_id), feed) for feed in feeds]
        known = [(p, feed) for p, feed in rows if p is not None]
        width = max((len(feed.slots) for _, feed in known), default=0)
        n = len(known)
        reader = np.array([p for p, _ in known], dtype=np.int64)
        item = np.full((n, width), -1, np.int64)
        slot = np.ones((n, width), np.int64)
        kind = np.zeros((n, width), np.int64)
        exposure = np.zeros((n, width))
        index = self._item_index
        for r, (_, feed) in enumerate(known):
            for column, entry in enumerate(feed.slots):
                i = index.get(entry.item_id, -1)
                item[r, column] = i
                slot[r, column] = entry.slot
                kind[r, column] = AD if entry.kind == "ad" else CONTENT
                exposure[r, column] = entry.exposure
        return reader, item, slot, kind, exposure

    def _appeal(self, reader: IntArray, item: IntArray) -> FloatArray:
        """Interest in the item's topic × its quality, × ``boredom`` when consumed before."""
        valid = item >= 0
        safe = np.where(valid, item, 0)
        topic = self._item_topic[safe]
        appeal = self._interest[reader[:, None], topic] * self._item_quality[safe]
        seen = _contains(self._seen, reader[:, None] * _KEY_SHIFT + safe)
        return np.where(valid, np.where(seen, appeal * self.config.boredom, appeal), 0.0)

    def _choose(
        self, rng: np.random.Generator, reader: IntArray, item: IntArray, slot: IntArray
    ) -> "_Choices":
        """Scroll every feed at once: each round every reader still scrolling picks once.

        A round is one draw of the position-biased logit with a no-choice option, by the
        Gumbel-max trick, over the slots below the reader's last choice. Satiation grows
        as topics are consumed, so later rounds see it.
        """
        config = self.config
        n, width = item.shape
        beta = config.choice_sharpness
        valid = item >= 0
        topic = self._item_topic[np.where(valid, item, 0)]
        appeal = self._appeal(reader, item)
        log_position = -np.log(np.log2(1.0 + np.maximum(slot, 1).astype(np.float64)))
        columns = np.arange(width)
        last = np.full(n, -1, np.int64)
        budget = self._budget_ms[reader].copy()
        scrolling = np.ones(n, bool)
        taken: list[tuple[IntArray, IntArray, FloatArray, FloatArray]] = []
        for _ in range(width):
            rows = np.flatnonzero(scrolling)
            if rows.size == 0:
                break
            utility = appeal[rows] - self._satiation[reader[rows, None], topic[rows]]
            open_ = valid[rows] & (columns[None, :] > last[rows, None])
            score = beta * utility + log_position[rows] + rng.gumbel(size=(rows.size, width))
            score = np.where(open_, score, -np.inf)
            best = score.argmax(axis=1)
            best_score = score[np.arange(rows.size), best]
            stop = beta * config.no_choice_utility + rng.gumbel(size=rows.size)
            chose = best_score > stop
            scrolling[rows[~chose]] = False
            rows, best = rows[chose], best[chose]
            if rows.size == 0:
                break
            realised = utility[chose, best]
            dwell = self._dwell(rng, appeal[rows, best])
            np.add.at(self._satiation, (reader[rows], topic[rows, best]), config.satiation_step)
            budget[rows] -= dwell
            last[rows] = best
            scrolling[rows[budget[rows] <= 0]] = False
            taken.append((rows.astype(np.int64), best.astype(np.int64), realised, dwell))
        if not taken:
            empty = np.zeros(0, np.int64)
            return _Choices(empty, empty, np.zeros(0), np.zeros(0))
        row, column, realised, dwell = (np.concatenate(part) for part in zip(*taken, strict=True))
        order = np.argsort(row, kind="stable")  # each reader's choices in the order made
        return _Choices(row[order], column[order], realised[order], dwell[order])

    def _dwell(self, rng: np.random.Generator, appeal: FloatArray) -> FloatArray:
        """Lognormal dwell (ms) whose mean grows with appeal (interest × quality), capped."""
        config = self.config
        mean = config.dwell_base_ms * (0.2 + 2.0 * np.clip(appeal, 0.0, None))
        sigma = config.dwell_sigma
        draw = rng.lognormal(np.log(mean) - sigma * sigma / 2.0, sigma)
        return np.minimum(np.round(draw), config.dwell_cap_ms)

    def _events(
        self,
        rng: np.random.Generator,
        day: date,
        reader: IntArray,
        item: IntArray,
        slot: IntArray,
        kind: IntArray,
        choices: "_Choices",
    ) -> tuple[list[Record], dict[str, tuple[str, ...]]]:
        """The wire records of the choices: one view each, and likes, follows, clicks."""
        config = self.config
        n = choices.row.size
        row, column = choices.row, choices.column
        chosen_item = item[row, column]
        appeal = np.clip(self._appeal(reader[row], chosen_item[:, None])[:, 0], 0.0, 1.0)
        is_ad = kind[row, column] == AD
        gap = rng.uniform(1_000.0, 5_000.0, size=n)
        step = choices.dwell + gap
        # Start of each view within its session: the reader's earlier views and gaps.
        total = np.cumsum(step)
        first = np.r_[True, row[1:] != row[:-1]] if n else np.zeros(0, bool)
        group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else first
        offset = total - step - (total - step)[group_start]
        session_ms = np.zeros(reader.size)
        np.maximum.at(session_ms, row, offset + choices.dwell)
        room = np.maximum(LATEST_SESSION_END_MINUTES * MS_PER_MINUTE - session_ms - 1, 0)
        session_start = np.floor(rng.random(reader.size) * room)
        midnight = to_epoch_ms(datetime(day.year, day.month, day.day, tzinfo=UTC))
        begins = (midnight + _NOON_MS + session_start[row] + offset).astype(np.int64)
        low = rng.random(n) < config.low_visibility_share
        visible = np.where(low, rng.uniform(0.05, 0.49, n), rng.uniform(0.5, 1.0, n)).round(3)
        like = ~is_ad & (rng.random(n) < config.like_rate * appeal)
        follow_draw = ~is_ad & (rng.random(n) < config.follow_rate * appeal)
        click = is_ad & (rng.random(n) < config.click_rate * appeal)
        reaction_at = begins + np.floor(rng.uniform(0.3, 0.95, n) * choices.dwell).astype(np.int64)
        creator = np.where(chosen_item >= 0, self._item_creator[np.maximum(chosen_item, 0)], -1)
        follow_key = reader[row] * _KEY_SHIFT + np.maximum(creator, 0)
        follow = follow_draw & ~_contains(self._follows, follow_key)
        # Two items of one creator in a feed make one follow, at the first.
        candidates = np.flatnonzero(follow)
        _, first_of_key = np.unique(follow_key[candidates], return_index=True)
        follow[:] = False
        follow[candidates[first_of_key]] = True
        stamps = _iso_utc(begins)
        reaction_stamps = _iso_utc(reaction_at)

        records: list[Record] = []
        consumed: dict[str, list[str]] = {}
        prefix = day.isoformat()
        person_ids, item_ids = self._person_ids, self._item_ids
        reactions = (("like", like), ("follow", follow), ("click", click))
        for k in range(n):
            user_id = person_ids[int(reader[row[k]])]
            item_id = item_ids[int(chosen_item[k])]
            position = int(slot[row[k], column[k]])
            event_id = f"{prefix}:{user_id}:{position}"
            records.append(
                {
                    "event_id": event_id,
                    "type": "view",
                    "user_id": user_id,
                    "ts": stamps[k],
                    "item_id": item_id,
                    "dwell_ms": int(choices.dwell[k]),
                    "visible_fraction": float(visible[k]),
                    "position": position,
                    "surface": "feed",
                }
            )
            for name, happened in reactions:
                if happened[k]:
                    records.append(
                        {
                            "event_id": f"{event_id}:{name}",
                            "type": name,
                            "user_id": user_id,
                            "ts": reaction_stamps[k],
                            "item_id": item_id,
                            "position": position,
                            "surface": "feed",
                        }
                    )
            consumed.setdefault(user_id, []).append(item_id)
        self._follows = _insert_keys(self._follows, follow_key[follow])
        return records, {user_id: tuple(items) for user_id, items in consumed.items()}

    def _remember(self, reader: IntArray, item: IntArray, choices: "_Choices") -> None:
        """Consumed items become seen (boredom)."""
        keys = reader[choices.row] * _KEY_SHIFT + item[choices.row, choices.column]
        self._seen = _insert_keys(self._seen, keys)

    def _log_respond(
        self,
        day: date,
        d: int,
        reader: IntArray,
        item: IntArray,
        exposure: FloatArray,
        kind: IntArray,
        choices: "_Choices",
        consumed: dict[str, tuple[str, ...]],
    ) -> None:
        """Today's utility, dwell and churn per person; attention and exposure per creator."""
        config = self.config
        n_people, n_creators = len(self._person_ids), len(self._creator_ids)
        utility = np.zeros(n_people)
        dwell = np.zeros(n_people, np.int64)
        person = reader[choices.row]
        np.add.at(utility, person, choices.utility)
        np.add.at(dwell, person, choices.dwell.astype(np.int64))
        visited = np.zeros(n_people, bool)
        visited[reader] = True

        low = visited & (utility < config.churn_threshold)
        self._low_days = np.where(visited, np.where(low, self._low_days + 1, 0), self._low_days)
        self._churned |= self._low_days >= config.churn_days

        chosen_item = item[choices.row, choices.column]
        creator = self._item_creator[chosen_item]
        organic = creator >= 0
        attention = np.zeros(n_creators, np.int64)
        np.add.at(attention, creator[organic], choices.dwell[organic].astype(np.int64))
        self._topic_attention_ms = np.zeros(config.topics)
        np.add.at(
            self._topic_attention_ms,
            self._item_topic[chosen_item[organic]],
            choices.dwell[organic],
        )
        shown = (item >= 0) & (kind != AD)
        shown_creator = self._item_creator[np.where(shown, item, 0)]
        creator_exposure = np.zeros(n_creators)
        counted = shown & (shown_creator >= 0)
        np.add.at(creator_exposure, shown_creator[counted], exposure[counted])

        self._logs[day] = DayLog(
            day=day,
            person_ids=tuple(self._person_ids),
            visited=visited,
            utility=utility,
            dwell_ms=dwell,
            consumed=consumed,
            active=~self._churned & (self._joined_day <= d),
            churned=self._churned.copy(),
            joined_day=self._joined_day.copy(),
            creator_ids=tuple(self._creator_ids),
            creator_active=self._creator_active.copy(),
            creator_entry_day=self._creator_entry_day.copy(),
            creator_topic=self._creator_topic.copy(),
            creator_income_minor=np.zeros(n_creators, np.int64),
            creator_attention_ms=attention,
            creator_exposure=creator_exposure,
        )

    def _decay_satiation(self, d: int) -> None:
        elapsed = d - self._decayed_day
        if elapsed > 0:
            self._satiation *= self.config.satiation_decay**elapsed
            self._decayed_day = d

    # --- creators -----------------------------------------------------------------------

    def _add_creators(self, rng: np.random.Generator, n: int, day: int) -> None:
        """Draw ``n`` creators (topic, quality, production rate) and their first items."""
        if n == 0:
            return
        config = self.config
        start = len(self._creator_ids)
        ids = [f"c{start + k + 1:05d}" for k in range(n)]
        topic = rng.integers(config.topics, size=n).astype(np.int64)
        self._creator_ids.extend(ids)
        self._creator_index.update({creator_id: start + k for k, creator_id in enumerate(ids)})
        self._creator_topic = np.concatenate([self._creator_topic, topic])
        self._creator_quality = np.concatenate([self._creator_quality, rng.beta(4.0, 2.0, n)])
        self._creator_rate = np.concatenate(
            [self._creator_rate, config.production_rate * rng.gamma(2.0, 0.5, n)]
        )
        self._creator_active = np.concatenate([self._creator_active, np.ones(n, bool)])
        self._creator_entry_day = np.concatenate(
            [self._creator_entry_day, np.full(n, day, np.int64)]
        )
        self._creator_low_days = np.concatenate([self._creator_low_days, np.zeros(n, np.int64)])
        self._creator_income_minor = np.concatenate(
            [self._creator_income_minor, np.zeros(n, np.int64)]
        )
        self._pending_records[RecordKind.CREATORS].extend(
            {
                "creator_id": creator_id,
                "name": f"Creator {start + k + 1}",
                "attributes": {"topic": int(t)},
            }
            for k, (creator_id, t) in enumerate(zip(ids, topic, strict=True))
        )
        first = np.repeat(np.arange(start, start + n), config.initial_items_per_creator)
        self._add_items(rng, first.astype(np.int64), day)

    def _add_items(self, rng: np.random.Generator, creator: IntArray, day: int) -> None:
        """One item per entry of ``creator``: their topic, quality near theirs, some assets."""
        n = creator.size
        if n == 0:
            return
        config = self.config
        topic = self._creator_topic[creator]
        quality = np.clip(self._creator_quality[creator] + rng.normal(0.0, 0.1, n), 0.02, 1.0)
        asset = (rng.random(n) < config.asset_share) & (config.asset_price_median_minor > 0)
        price = np.maximum(
            np.round(config.asset_price_median_minor * rng.lognormal(0.0, 0.5, n)), 1
        ).astype(np.int64)
        self._append_items(
            creator=creator,
            topic=topic,
            quality=quality,
            kind=np.where(asset, ASSET, CONTENT).astype(np.int64),
            price=np.where(asset, price, 0),
            day=day,
        )

    def _append_items(
        self,
        *,
        creator: IntArray,
        topic: IntArray,
        quality: FloatArray,
        kind: IntArray,
        price: IntArray,
        day: int,
        owner_ids: Sequence[str] | None = None,
    ) -> None:
        start = len(self._item_ids)
        n = creator.size
        if owner_ids is None:
            owner_ids = [self._creator_ids[int(c)] for c in creator]
        ids = [
            f"i{start + k + 1:07d}" if kind[k] != AD else f"ad-{owner_ids[k]}-{start + k + 1}"
            for k in range(n)
        ]
        self._item_ids.extend(ids)
        self._item_index.update({item_id: start + k for k, item_id in enumerate(ids)})
        self._item_creator = np.concatenate([self._item_creator, creator])
        self._item_topic = np.concatenate([self._item_topic, topic])
        self._item_quality = np.concatenate([self._item_quality, quality])
        self._item_kind = np.concatenate([self._item_kind, kind])
        self._item_price = np.concatenate([self._item_price, price])
        records = self._pending_records[RecordKind.ITEMS]
        currency = self.config.currency
        for k, item_id in enumerate(ids):
            t = int(topic[k])
            record: Record = {
                "item_id": item_id,
                "kind": _KIND_NAMES[int(kind[k])],
                "creator_id": owner_ids[k],
                "title": f"{'Advert' if kind[k] == AD else 'Piece'} {start + k + 1} on topic {t}",
                "text": f"A topic-{t} {_KIND_NAMES[int(kind[k])]} by {owner_ids[k]} (day {day}).",
                "tags": [f"topic-{t}"],
            }
            if kind[k] == ASSET:
                record["price_minor"] = int(price[k])
                record["currency"] = currency
            records.append(record)

    def _entry_rate(self) -> float:
        """Expected entrants today: the base rate, raised when the world paid well yesterday."""
        config = self.config
        boost = 1.0
        if config.entry_reference_income_minor > 0:
            boost += min(
                self._mean_pay_minor / config.entry_reference_income_minor, _MAX_ENTRY_BOOST
            )
        return config.creator_entry_rate * config.creators * boost

    def _shift_topics(self, rng: np.random.Generator) -> None:
        """Some creators move to the topic with most attention per active creator."""
        config = self.config
        active = self._creator_active
        draw = rng.random(active.size)
        counts = np.bincount(self._creator_topic[active], minlength=config.topics)
        per_creator = self._topic_attention_ms / np.maximum(counts, 1)
        best = int(per_creator.argmax())
        moving = active & (draw < config.topic_shift_probability)
        moving &= per_creator[best] > per_creator[self._creator_topic]
        self._creator_topic[moving] = best

    # --- advertisers --------------------------------------------------------------------

    def _add_advertisers(self) -> None:
        """Each advertiser is a creator ``adv-<n>`` whose creatives are items of kind ``ad``."""
        config = self.config
        for n in range(config.advertisers):
            advertiser_id = f"adv-{n}"
            topic = int(self._adv_topic[n])
            self._pending_records[RecordKind.CREATORS].append(
                {
                    "creator_id": advertiser_id,
                    "name": f"Advertiser {n}",
                    "attributes": {"advertiser": True, "topic": topic},
                }
            )
            start = len(self._item_ids)
            k = config.creatives_per_advertiser
            self._append_items(
                creator=np.full(k, -1 - n, np.int64),
                topic=np.full(k, topic, np.int64),
                quality=np.full(k, config.ad_appeal),
                kind=np.full(k, AD, np.int64),
                price=np.zeros(k, np.int64),
                day=0,
                owner_ids=[advertiser_id] * k,
            )
            self._adv_creatives.append(tuple(self._item_ids[start:]))

    def _campaigns(self, day: date) -> list[CampaignOffer]:
        """Each advertiser's campaign for the day, funded up to its daily budget."""
        offers = []
        for n, creatives in enumerate(self._adv_creatives):
            budget = int(self._adv_budget_minor[n])
            funding = max(0, budget - int(self._adv_balance_minor[n]))
            self._adv_balance_minor[n] += funding
            campaign = Campaign(
                campaign_id=f"cmp-{n}",
                advertiser_id=f"adv-{n}",
                budget_minor=budget,
                bid_per_second=float(self._adv_value[n] * self.config.bid_shading),
                targeting=Targeting(require_any=frozenset({f"topic={int(self._adv_topic[n])}"})),
            )
            offers.append(CampaignOffer(campaign, creatives, funding_minor=funding))
        return offers

    # --- market -------------------------------------------------------------------------

    def _offers(
        self, rng: np.random.Generator, day: date, listings: Sequence[OpenListing]
    ) -> list[Offer]:
        """Owners (creators until sold) list some assets not already listed, near their price."""
        config = self.config
        listed = {open_.listing.item_id for open_ in listings}
        assets = np.flatnonzero(self._item_kind == ASSET)
        draw = rng.random(assets.size)
        factor = rng.uniform(0.8, 1.5, assets.size)
        offers: list[Offer] = []
        for k in np.flatnonzero(draw < config.offer_rate):
            i = int(assets[k])
            item_id = self._item_ids[i]
            seller = self._owner.get(i, self._creator_ids[int(self._item_creator[i])])
            if item_id in listed or not self._present(seller):
                continue
            price = max(1, round(int(self._item_price[i]) * float(factor[k])))
            offers.append(Offer(seller, item_id, price, f"L-{day}-{item_id}"))
            if len(offers) >= 2 * config.max_trades_per_day:
                break
        return offers

    def _purchases(
        self, rng: np.random.Generator, listings: Sequence[OpenListing], present: IntArray
    ) -> list[Purchase]:
        """People whose favourite topic is the asset's buy it, if their wallet allows."""
        config = self.config
        purchases: list[Purchase] = []
        ordered = sorted(listings, key=lambda open_: open_.listing.listing_id)
        for k in rng.permutation(len(ordered)):
            open_ = ordered[int(k)]
            i = self._item_index.get(open_.listing.item_id)
            if i is None or open_.listing.kind != "fixed" or rng.random() >= config.purchase_rate:
                continue
            price = open_.asking_minor
            seller = self._person_index.get(open_.listing.seller_id, -1)
            fans = present[
                (self._top_topic[present] == self._item_topic[i])
                & (self._wallet_minor[present] >= price)
                & (present != seller)
            ]
            if fans.size == 0:
                continue
            buyer = int(fans[rng.integers(fans.size)])
            self._wallet_minor[buyer] -= price
            purchases.append(Purchase(self._person_ids[buyer], open_.listing.listing_id))
            if len(purchases) >= config.max_trades_per_day:
                break
        return purchases

    def _settle_trades(self, trades: Sequence[Trade]) -> None:
        for sale in trades:
            i = self._item_index.get(sale.item_id)
            if i is not None:
                self._owner[i] = sale.buyer_id
            seller = self._person_index.get(sale.seller_id)
            if seller is not None:
                self._wallet_minor[seller] += sale.split.seller_minor

    def _present(self, agent_id: str) -> bool:
        """A person not churned, or a creator still active."""
        p = self._person_index.get(agent_id)
        if p is not None:
            return not bool(self._churned[p])
        c = self._creator_index.get(agent_id)
        return c is not None and bool(self._creator_active[c])

    # --- helpers ------------------------------------------------------------------------

    def _rng(self, day: date, phase: _Phase) -> np.random.Generator:
        """The generator of one phase of one day, from the seed alone."""
        return np.random.default_rng([self.config.seed, int(phase), day.toordinal()])

    def _day_number(self, day: date) -> int:
        number = (day - self.config.start).days
        if number < 0:
            raise InputError(f"{day} is before the world's start, {self.config.start}")
        return number


@dataclass(frozen=True, slots=True, eq=False)
class _Choices:
    """The day's choices, grouped by reader in the order made: row and column of the feed
    cell, utility at the moment of choice, dwell in ms."""

    row: IntArray
    column: IntArray
    utility: FloatArray
    dwell: FloatArray


def _contains(sorted_keys: IntArray, keys: IntArray) -> BoolArray:
    """Which ``keys`` occur in ``sorted_keys`` (sorted, unique)."""
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, bool)
    position = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    found: BoolArray = sorted_keys[position] == keys
    return found


def _insert_keys(sorted_keys: IntArray, keys: IntArray) -> IntArray:
    """``sorted_keys`` with ``keys`` added, still sorted and unique."""
    new = np.unique(keys)
    new = new[~_contains(sorted_keys, new)]
    if new.size == 0:
        return sorted_keys
    return np.insert(sorted_keys, np.searchsorted(sorted_keys, new), new)


def _iso_utc(epoch_ms: IntArray) -> list[str]:
    """ISO 8601 with milliseconds and an explicit ``+00:00`` offset, vectorised."""
    text = np.datetime_as_string(epoch_ms.astype("datetime64[ms]"), unit="ms")
    return [f"{stamp}+00:00" for stamp in text.tolist()]


def _advertiser_number(advertiser_id: str) -> int | None:
    prefix, _, number = advertiser_id.partition("-")
    return int(number) if prefix == "adv" and number.isdigit() else None
