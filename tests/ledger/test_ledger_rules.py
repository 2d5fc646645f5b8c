"""The rules on balances in memory: a batch checked whole agrees with one checked in turn.

``apply_batch`` may decline a batch (None) whenever it cannot prove that no transfer
breaks a rule; when it accepts one, ``journal_entry`` and ``apply_new``, transfer after
transfer, must accept every transfer and leave the very same balances.
"""

import copy
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from mindshare.core import LedgerError
from mindshare.ledger import Transfer
from mindshare.ledger._rules import (
    PENDING,
    PLAIN,
    AccountState,
    TransferColumns,
    apply_batch,
    apply_new,
    batch_phases,
    journal_entry,
)
from mindshare.ledger._types import INT64_MAX

NOW_MS = 1_000
ACCOUNT_IDS = ("a", "b", "c", "d", "e")


def columns_of(transfers: list[Transfer]) -> TransferColumns:
    return TransferColumns._make(zip(*transfers, strict=True))


def snapshot(accounts: dict[str, AccountState]) -> dict[str, tuple[object, ...]]:
    return {
        account_id: (state.closed, state.currency, state.flags, *state.balances())
        for account_id, state in accounts.items()
    }


def one_by_one(transfers: list[Transfer], accounts: dict[str, AccountState]) -> bool:
    """Apply the transfers in turn as the exact path does; whether every one was accepted."""
    accepted = True
    for transfer in transfers:
        try:
            entry = journal_entry(transfer, NOW_MS)
            apply_new(
                entry, accounts.get(entry.debit_account_id), accounts.get(entry.credit_account_id)
            )
        except (LedgerError, TypeError, AttributeError):
            accepted = False
    return accepted


def balance(high: int) -> st.SearchStrategy[int]:
    """Near what a batch moves (a flag is often just kept or just broken), now and then
    near the largest balance (a batch may overflow it)."""
    return st.integers(0, 59).flatmap(
        lambda rare: st.integers(INT64_MAX - 500, INT64_MAX) if rare == 0 else st.integers(0, high)
    )


@st.composite
def account_states(draw: st.DrawFn) -> dict[str, AccountState]:
    accounts = {}
    for key, account_id in enumerate(ACCOUNT_IDS):
        if draw(st.integers(0, 39)) == 0:
            continue  # an account that does not exist
        flags = draw(st.sampled_from([0, 1, 1, 2, 2]))
        # The side a flag bounds is small, the side it is bounded by larger.
        debits, credits = (500, 6_000) if flags == 1 else (6_000, 500) if flags == 2 else (500, 500)
        accounts[account_id] = AccountState(
            account_id,
            draw(st.sampled_from(["USD"] * 19 + ["EUR"])),
            flags,
            draw(st.integers(0, 29)) == 0,
            draw(balance(debits)),
            draw(balance(debits)),
            draw(balance(credits)),
            draw(balance(credits)),
            key,
        )
    return accounts


@st.composite
def transfers(draw: st.DrawFn, index: int, *, faults: bool) -> Transfer:
    """Well formed, or with ``faults`` now and then a field wrong in a way a rule refuses."""

    def sometimes_wrong(right: st.SearchStrategy[object], wrong: list[object]) -> object:
        if faults and draw(st.integers(0, 19)) == 0:
            return draw(st.sampled_from(wrong))
        return draw(right)

    pending = draw(st.booleans())
    debit = draw(st.sampled_from(ACCOUNT_IDS))
    others = st.sampled_from([a for a in ACCOUNT_IDS if a != debit])
    return Transfer(
        id=sometimes_wrong(st.just(f"t{index}"), ["", "x" * 129, 7]),  # type: ignore[arg-type]
        debit_account_id=debit,
        credit_account_id=sometimes_wrong(others, [debit]),  # type: ignore[arg-type]
        amount=sometimes_wrong(st.integers(1, 400), [0, -3, 2.5, True, INT64_MAX + 1]),  # type: ignore[arg-type]
        currency=sometimes_wrong(st.just("USD"), ["EUR", "usd", 3]),  # type: ignore[arg-type]
        code=sometimes_wrong(st.integers(0, 3), ["3", None]),  # type: ignore[arg-type]
        user_data=sometimes_wrong(st.none() | st.just("ref"), ["r" * 257, 5]),  # type: ignore[arg-type]
        pending=pending,
        timeout_ms=sometimes_wrong(  # type: ignore[arg-type]
            st.none() | st.integers(1, 50) if pending else st.none(), [0, -1, True, 5]
        ),
    )


@st.composite
def batches(draw: st.DrawFn) -> list[Transfer]:
    faults = draw(st.integers(0, 2)) == 0
    return [draw(transfers(index, faults=faults)) for index in range(draw(st.integers(1, 8)))]


@settings(max_examples=600, deadline=None)
@given(accounts=account_states(), batch=batches())
def test_a_batch_accepted_whole_is_accepted_transfer_by_transfer_with_the_same_balances(
    accounts: dict[str, AccountState], batch: list[Transfer]
) -> None:
    whole, in_turn = copy.deepcopy(accounts), copy.deepcopy(accounts)
    before = snapshot(whole)

    changed = apply_batch(columns_of(batch), whole)
    accepted_in_turn = one_by_one(batch, in_turn)

    event("declined" if changed is None else "accepted")
    if changed is None:
        assert snapshot(whole) == before
    else:
        assert accepted_in_turn
        assert snapshot(whole) == snapshot(in_turn)
        named = {t.debit_account_id for t in batch} | {t.credit_account_id for t in batch}
        assert {state.account_id for state in changed} == named


@st.composite
def funded_batches(draw: st.DrawFn) -> tuple[dict[str, AccountState], list[Transfer]]:
    """Well formed transfers between open, well funded accounts of their currency."""
    currency = draw(st.sampled_from(["USD", "EUR"]))
    accounts = {
        account_id: AccountState(
            account_id, currency, draw(st.sampled_from([0, 1])), False, 0, 0, 0, 10**9, key
        )
        for key, account_id in enumerate(ACCOUNT_IDS)
    }
    batch = []
    for index in range(draw(st.integers(1, 30))):
        debit, credit = draw(st.permutations(ACCOUNT_IDS))[:2]
        pending = draw(st.booleans())
        batch.append(
            Transfer(
                f"t{index}",
                debit,
                credit,
                draw(st.integers(1, 10**6)),
                currency,
                code=draw(st.integers(0, 9)),
                user_data=draw(st.none() | st.text(max_size=256)),
                pending=pending,
                timeout_ms=draw(st.none() | st.integers(1, 10**6)) if pending else None,
            )
        )
    return accounts, batch


@settings(max_examples=200, deadline=None)
@given(case=funded_batches())
def test_a_batch_that_cannot_break_a_rule_is_accepted_whole(
    case: tuple[dict[str, AccountState], list[Transfer]],
) -> None:
    accounts, batch = case
    in_turn = copy.deepcopy(accounts)

    changed = apply_batch(columns_of(batch), accounts)

    assert changed is not None
    assert one_by_one(batch, in_turn)
    assert snapshot(accounts) == snapshot(in_turn)


def test_a_batch_that_overdraws_by_its_total_is_declined_unchanged() -> None:
    # a holds 100 and must not go negative: 60 then 50 is 10 too many, together.
    accounts = {
        "a": AccountState("a", "USD", 1, False, 0, 0, 0, 100, 1),
        "b": AccountState("b", "USD", 0, False, 0, 0, 0, 0, 2),
    }
    batch = [Transfer("t1", "a", "b", 60, "USD"), Transfer("t2", "a", "b", 50, "USD")]

    assert apply_batch(columns_of(batch), accounts) is None
    assert accounts["a"].balances() == (0, 0, 0, 100)
    assert accounts["b"].balances() == (0, 0, 0, 0)


def test_batch_phases_are_pending_where_the_transfer_is_pending() -> None:
    batch = [
        Transfer("t1", "a", "b", 1, "USD"),
        Transfer("t2", "a", "b", 1, "USD", pending=True),
    ]

    assert list(batch_phases(columns_of(batch))) == [PLAIN, PENDING]
    assert list(batch_phases(columns_of(batch[:1]))) == [PLAIN]


def good_accounts() -> dict[str, AccountState]:
    """a and b hold 1,000 USD and must not go negative; x is closed; e is in euros."""
    return {
        "a": AccountState("a", "USD", 1, False, 0, 0, 0, 1_000, 1),
        "b": AccountState("b", "USD", 1, False, 0, 0, 0, 1_000, 2),
        "x": AccountState("x", "USD", 0, True, 0, 0, 0, 0, 3),
        "e": AccountState("e", "EUR", 0, False, 0, 0, 0, 1_000, 4),
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"id": ""},
        {"id": "x" * 129},
        {"id": 7},
        {"amount": 0},
        {"amount": -3},
        {"amount": 2.5},
        {"amount": True},
        {"amount": INT64_MAX + 1},
        {"credit_account_id": "a"},
        {"credit_account_id": "ghost"},
        {"credit_account_id": "x"},
        {"credit_account_id": "e"},
        {"currency": "EUR"},
        {"currency": "usd"},
        {"currency": 3},
        {"code": "3"},
        {"user_data": "r" * 257},
        {"user_data": 5},
        {"timeout_ms": 10},
        {"pending": True, "timeout_ms": 0},
        {"pending": True, "timeout_ms": True},
    ],
)
def test_one_transfer_that_breaks_a_rule_declines_its_batch(bad: dict[str, Any]) -> None:
    accounts = good_accounts()
    batch = [
        Transfer("t1", "a", "b", 10, "USD"),
        Transfer("t2", "a", "b", 10, "USD")._replace(**bad),
        Transfer("t3", "b", "a", 10, "USD"),
    ]

    assert apply_batch(columns_of(batch), accounts) is None
    assert snapshot(accounts) == snapshot(good_accounts())
    assert not one_by_one(batch, good_accounts())


@pytest.mark.parametrize("pending", [False, True])
def test_a_batch_may_draw_a_flagged_account_down_to_exactly_zero_not_below(pending: bool) -> None:
    exact = [Transfer("t1", "a", "b", 400, "USD", pending=pending)] + [
        Transfer(f"t{i}", "a", "b", 300, "USD") for i in (2, 3)
    ]
    one_more = [*exact, Transfer("t4", "a", "b", 1, "USD")]
    accounts = good_accounts()

    assert apply_batch(columns_of(one_more), accounts) is None
    assert apply_batch(columns_of(exact), accounts) is not None
    debits_pending, debits_posted, _, credits_posted = accounts["a"].balances()
    assert debits_pending + debits_posted == credits_posted


@pytest.mark.parametrize("pending", [False, True])
def test_a_batch_may_credit_a_drawn_from_account_up_to_its_debits_not_above(pending: bool) -> None:
    def source() -> dict[str, AccountState]:
        return {
            "a": AccountState("a", "USD", 0, False, 0, 0, 0, 0, 1),
            "s": AccountState("s", "USD", 2, False, 0, 1_000, 0, 0, 2),
        }

    exact = [
        Transfer("t1", "a", "s", 600, "USD", pending=pending),
        Transfer("t2", "a", "s", 400, "USD"),
    ]
    one_more = [*exact, Transfer("t3", "a", "s", 1, "USD")]

    assert apply_batch(columns_of(one_more), source()) is None
    assert apply_batch(columns_of(exact), source()) is not None


@pytest.mark.parametrize("pending", [False, True])
@pytest.mark.parametrize("side", ["debit", "credit"])
def test_a_batch_may_take_a_balance_to_the_largest_not_past_it(pending: bool, side: str) -> None:
    def near_the_top() -> dict[str, AccountState]:
        # The balance the batch adds to is 10 short of the largest.
        pending_top, posted_top = (INT64_MAX - 10, 0) if pending else (0, INT64_MAX - 10)
        return {
            "a": AccountState("a", "USD", 0, False, pending_top, posted_top, 0, 0, 1),
            "b": AccountState("b", "USD", 0, False, 0, 0, pending_top, posted_top, 2),
        }

    debit, credit = ("a", "c") if side == "debit" else ("c", "b")
    accounts = {"c": AccountState("c", "USD", 0, False, 0, 0, 0, 0, 3)}
    exact = [
        Transfer("t1", debit, credit, 4, "USD", pending=pending),
        Transfer("t2", debit, credit, 6, "USD", pending=pending),
    ]
    one_more = [*exact, Transfer("t3", debit, credit, 1, "USD", pending=pending)]

    assert apply_batch(columns_of(one_more), near_the_top() | accounts) is None
    assert apply_batch(columns_of(exact), near_the_top() | accounts) is not None
