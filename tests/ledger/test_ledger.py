"""The ledger's spec: accounts, transfers, linked batches, two-phase transfers, idempotent ids.

Every test runs on SQLite and, when ``MINDSHARE_TEST_DATABASE_URL`` is set, on PostgreSQL.
Balances are computed by hand in the comments; a refused write must leave the balances
and the journal exactly as they were.
"""

import os
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mindshare.core import LedgerError, StoreError
from mindshare.ledger import (
    Account,
    AccountClosed,
    AccountConflict,
    AccountNotFound,
    Balance,
    CurrencyMismatch,
    ExceedsCredits,
    ExceedsDebits,
    InvalidTransfer,
    JournalEntry,
    Ledger,
    LinkedTransferFailed,
    Overflow,
    PendingTransferExpired,
    PendingTransferNotFound,
    PendingTransferPosted,
    PendingTransferVoided,
    Transfer,
    TransferConflict,
)
from mindshare.ledger import _ledger as ledger_module
from mindshare.store import connect, migrate

WORLD = "w1"
START_MS = 1_000_000


class ManualClock:
    """A clock that only moves when the test says so."""

    def __init__(self, now_ms: int = START_MS) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ledger(database: sa.Engine, clock: ManualClock) -> Ledger:
    """A ledger with a mint (unflagged), two wallets that must not go negative, a source
    that may only be drawn from, and a euro wallet; alice holds 100 USD from the mint."""
    ledger = Ledger(database, WORLD, clock=clock)
    ledger.create_accounts(
        [
            Account("mint", "platform", "platform", "USD"),
            Account("alice", "alice", "person", "USD", debits_must_not_exceed_credits=True),
            Account("bob", "bob", "creator", "USD", debits_must_not_exceed_credits=True),
            Account("emission", "platform", "pool", "USD", credits_must_not_exceed_debits=True),
            Account("carol-eur", "carol", "person", "EUR", debits_must_not_exceed_credits=True),
        ]
    )
    ledger.create_transfers(
        [Transfer("fund-alice", "mint", "alice", 100, "USD")]
    ).raise_first_error()
    return ledger


Snapshot = tuple[list[tuple[Account, Balance]], list[JournalEntry]]


def snapshot(ledger: Ledger) -> Snapshot:
    """Everything the ledger has written: accounts with balances, and the journal."""
    return ledger.accounts(), ledger.transfers(limit=1_000_000)


def balances(ledger: Ledger, account_id: str) -> tuple[int, int, int, int]:
    """Debits pending and posted, credits pending and posted."""
    b = ledger.balance(account_id)
    return (b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted)


def journal_ids(ledger: Ledger) -> list[str]:
    return [entry.transfer_id for entry in reversed(ledger.transfers(limit=1_000_000))]


def store_url(engine: sa.Engine) -> str:
    """A URL that reaches the same store as ``engine`` (its schema, on PostgreSQL)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


# -- accounts -----------------------------------------------------------------------------


def test_new_account_starts_with_zero_balances(database: sa.Engine) -> None:
    ledger = Ledger(database, WORLD)

    results = ledger.create_accounts([Account("dave", "dave", "person", "USD")])

    assert [(r.account_id, r.status) for r in results] == [("dave", "created")]
    assert ledger.balance("dave") == Balance("dave", "USD", 0, 0, 0, 0, closed=False)


def test_accounts_lists_every_account_with_its_flags_and_balances_by_id(ledger: Ledger) -> None:
    listed = ledger.accounts()

    assert [account.id for account, _ in listed] == [
        "alice",
        "bob",
        "carol-eur",
        "emission",
        "mint",
    ]
    alice, alice_balance = listed[0]
    emission, _ = listed[3]
    assert alice == Account("alice", "alice", "person", "USD", debits_must_not_exceed_credits=True)
    assert alice_balance == Balance("alice", "USD", 0, 0, 0, 100)
    assert emission.credits_must_not_exceed_debits
    assert not emission.debits_must_not_exceed_credits


def test_every_account_kind_of_the_spec_is_accepted(database: sa.Engine) -> None:
    ledger = Ledger(database, WORLD)
    kinds = ["person", "creator", "advertiser", "platform", "pool", "escrow"]

    results = ledger.create_accounts(
        [Account(f"acct-{kind}", "owner", kind, "USD") for kind in kinds]  # type: ignore[arg-type]
    )

    assert [r.status for r in results] == ["created"] * len(kinds)


def test_duplicate_account_id_with_same_body_is_a_no_op(ledger: Ledger) -> None:
    before = snapshot(ledger)

    (result,) = ledger.create_accounts(
        [Account("alice", "alice", "person", "USD", debits_must_not_exceed_credits=True)]
    )

    assert (result.status, result.ok, result.error) == ("exists", True, None)
    assert snapshot(ledger) == before


@pytest.mark.parametrize(
    "changed",
    [
        Account("alice", "mallory", "person", "USD", debits_must_not_exceed_credits=True),
        Account("alice", "alice", "creator", "USD", debits_must_not_exceed_credits=True),
        Account("alice", "alice", "person", "EUR", debits_must_not_exceed_credits=True),
        Account("alice", "alice", "person", "USD"),
    ],
    ids=["owner", "kind", "currency", "flags"],
)
def test_duplicate_account_id_with_different_body_is_an_account_conflict(
    ledger: Ledger, changed: Account
) -> None:
    before = snapshot(ledger)

    (result,) = ledger.create_accounts([changed])

    assert result.status == "failed"
    assert isinstance(result.error, AccountConflict)
    assert result.error.rule == "account_conflict"
    assert "'alice'" in str(result.error)
    assert snapshot(ledger) == before


@pytest.mark.parametrize(
    ("account", "phrase"),
    [
        (Account("", "x", "person", "USD"), "account id"),
        (Account("x" * 129, "x", "person", "USD"), "account id"),
        (Account("x", "", "person", "USD"), "owner"),
        (Account("x", "x", "wizard", "USD"), "kind 'wizard'"),  # type: ignore[arg-type]
        (Account("x", "x", "person", "dollars"), "not a currency code"),
        (
            Account(
                "x",
                "x",
                "person",
                "USD",
                debits_must_not_exceed_credits=True,
                credits_must_not_exceed_debits=True,
            ),
            "both flags",
        ),
    ],
    ids=["empty-id", "long-id", "empty-owner", "unknown-kind", "bad-currency", "both-flags"],
)
def test_malformed_account_is_refused_and_nothing_is_written(
    ledger: Ledger, account: Account, phrase: str
) -> None:
    before = snapshot(ledger)

    (result,) = ledger.create_accounts([account])

    assert result.status == "failed"
    assert isinstance(result.error, InvalidTransfer)
    assert phrase in str(result.error)
    assert snapshot(ledger) == before


def test_one_malformed_account_does_not_stop_the_others(database: sa.Engine) -> None:
    ledger = Ledger(database, WORLD)

    results = ledger.create_accounts(
        [
            Account("ok-1", "o", "person", "USD"),
            Account("", "o", "person", "USD"),
            Account("ok-2", "o", "person", "USD"),
        ]
    )

    assert [r.status for r in results] == ["created", "failed", "created"]
    assert [account.id for account, _ in ledger.accounts()] == ["ok-1", "ok-2"]


def test_balance_of_an_unknown_account_raises_account_not_found(ledger: Ledger) -> None:
    with pytest.raises(AccountNotFound, match="'nobody'") as raised:
        ledger.balance("nobody")

    assert raised.value.rule == "account_not_found"


# -- plain transfers ----------------------------------------------------------------------


def test_transfer_debits_one_account_and_credits_the_other(ledger: Ledger) -> None:
    (result,) = ledger.create_transfers([Transfer("t1", "alice", "bob", 30, "USD")])

    assert (result.transfer_id, result.status, result.ok) == ("t1", "created", True)
    # alice: credited 100 by the mint, debited 30; bob: credited 30.
    assert balances(ledger, "alice") == (0, 30, 0, 100)
    assert balances(ledger, "bob") == (0, 0, 0, 30)
    assert ledger.balance("alice").posted == 70
    assert ledger.balance("mint").posted == -100


def test_balances_accumulate_over_many_transfers(ledger: Ledger) -> None:
    ledger.create_transfers(
        [
            Transfer("t1", "alice", "bob", 40, "USD"),
            Transfer("t2", "bob", "alice", 15, "USD"),
            Transfer("t3", "mint", "bob", 7, "USD"),
            Transfer("t4", "bob", "mint", 2, "USD"),
        ]
    ).raise_first_error()

    # alice: debits 40, credits 100 + 15; bob: debits 15 + 2, credits 40 + 7;
    # mint: debits 100 + 7, credits 2.
    assert balances(ledger, "alice") == (0, 40, 0, 115)
    assert balances(ledger, "bob") == (0, 17, 0, 47)
    assert balances(ledger, "mint") == (0, 107, 0, 2)


def test_transfer_is_journaled_with_its_body_and_the_clock_time(
    ledger: Ledger, clock: ManualClock
) -> None:
    clock.advance(250)

    (result,) = ledger.create_transfers(
        [Transfer("t1", "alice", "bob", 30, "USD", code=7, user_data="invoice-9")]
    )

    assert result.timestamp_ms == START_MS + 250
    newest = ledger.transfers(limit=1)
    assert newest == [
        JournalEntry("t1", "alice", "bob", 30, "USD", 7, "invoice-9", 0, None, None, START_MS + 250)
    ]


def test_transfers_of_an_account_are_only_its_rows_newest_first(ledger: Ledger) -> None:
    ledger.create_transfers(
        [
            Transfer("t1", "alice", "bob", 1, "USD"),
            Transfer("t2", "mint", "bob", 1, "USD"),
            Transfer("t3", "bob", "alice", 1, "USD"),
        ]
    ).raise_first_error()

    of_alice = [entry.transfer_id for entry in ledger.transfers("alice")]
    latest_two = [entry.transfer_id for entry in ledger.transfers(limit=2)]

    assert of_alice == ["t3", "t1", "fund-alice"]
    assert latest_two == ["t3", "t2"]


def test_transfers_of_one_batch_see_each_others_balances(ledger: Ledger) -> None:
    # bob holds nothing; the first transfer funds him, the second spends it.
    results = ledger.create_transfers(
        [Transfer("t1", "alice", "bob", 60, "USD"), Transfer("t2", "bob", "alice", 60, "USD")]
    )

    assert [r.status for r in results] == ["created", "created"]
    assert ledger.balance("bob").posted == 0


def test_flagged_account_may_be_drawn_down_to_exactly_zero(ledger: Ledger) -> None:
    (result,) = ledger.create_transfers([Transfer("t1", "alice", "bob", 100, "USD")])

    assert result.status == "created"
    assert ledger.balance("alice").available == 0


def test_unflagged_account_may_go_negative(ledger: Ledger) -> None:
    (result,) = ledger.create_transfers([Transfer("t1", "mint", "bob", 5_000, "USD")])

    assert result.status == "created"
    assert ledger.balance("mint").posted == -5_100


def test_credits_must_not_exceed_debits_account_may_only_be_drawn_from(ledger: Ledger) -> None:
    ledger.create_transfers([Transfer("emit", "emission", "bob", 50, "USD")]).raise_first_error()

    # 50 drawn; 30 may flow back, 21 more may not (30 + 21 > 50).
    back = ledger.create_transfers([Transfer("back-30", "mint", "emission", 30, "USD")])
    too_much = ledger.create_transfers([Transfer("back-21", "mint", "emission", 21, "USD")])

    assert back[0].status == "created"
    assert too_much[0].status == "failed"
    assert isinstance(too_much[0].error, ExceedsDebits)
    assert too_much[0].error.rule == "exceeds_debits"
    assert "account 'emission' may take 20 more, 21 given" in str(too_much[0].error)
    assert "credits must not exceed its debits" in str(too_much[0].error)
    assert balances(ledger, "emission") == (0, 50, 0, 30)
    assert journal_ids(ledger) == ["fund-alice", "emit", "back-30"]


def test_unlinked_batch_writes_every_valid_transfer_and_skips_the_failed_one(
    ledger: Ledger,
) -> None:
    results = ledger.create_transfers(
        [
            Transfer("t1", "alice", "bob", 10, "USD"),
            Transfer("t2", "alice", "bob", 1_000, "USD"),
            Transfer("t3", "alice", "bob", 20, "USD"),
        ]
    )

    assert [r.status for r in results] == ["created", "failed", "created"]
    assert results.ok is False
    assert [r.transfer_id for r in results.failed] == ["t2"]
    assert journal_ids(ledger) == ["fund-alice", "t1", "t3"]
    assert balances(ledger, "alice") == (0, 30, 0, 100)


def test_batch_that_breaks_no_rule_is_checked_whole_not_transfer_by_transfer(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_by_one(*_: object) -> None:
        raise AssertionError("a batch that breaks no rule went transfer by transfer")

    monkeypatch.setattr(ledger_module, "apply_new", one_by_one)

    results = ledger.create_transfers(
        [
            Transfer("t1", "alice", "bob", 30, "USD"),
            Transfer("t2", "alice", "bob", 10, "USD", pending=True, timeout_ms=60_000),
            Transfer("t3", "mint", "bob", 5, "USD", code=7, user_data="ref"),
        ]
    )

    assert [r.status for r in results] == ["created"] * 3
    assert all(r.timestamp_ms == START_MS for r in results)
    assert balances(ledger, "alice") == (10, 30, 0, 100)
    assert balances(ledger, "bob") == (0, 0, 10, 35)
    newest = ledger.transfers(limit=1)[0]
    assert (newest.transfer_id, newest.code, newest.user_data, newest.phase) == ("t3", 7, "ref", 0)
    assert ledger.audit().ok


@pytest.mark.parametrize("size", [1, 3, 513, 1_100])
def test_batches_of_any_size_are_journaled_whole(ledger: Ledger, size: int) -> None:
    transfers = [
        Transfer(f"t{i}", "mint", ("alice", "bob")[i % 2], 1, "USD", pending=i % 3 == 0)
        for i in range(size)
    ]

    results = ledger.create_transfers(transfers)

    assert results.ok
    assert len(results) == size
    assert journal_ids(ledger) == ["fund-alice", *(t.id for t in transfers)]
    pending = sum(1 for t in transfers if t.pending)
    assert balances(ledger, "mint") == (pending, 100 + size - pending, 0, 0)
    assert ledger.audit().ok


def test_batches_fit_a_low_sqlite_limit_on_bound_parameters(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'low-limit.db'}")

    def low_limit(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 40)

    sa.event.listen(engine, "connect", low_limit)
    migrate(engine)
    ledger = Ledger(engine, WORLD)
    ledger.create_accounts([Account(name, name, "person", "USD") for name in "abcde"])
    transfers = [
        Transfer(f"t{i}", "abcde"[i % 5], "abcde"[(i + 1) % 5], 1, "USD") for i in range(37)
    ]

    assert ledger.create_transfers(transfers).ok
    assert ledger.create_transfers(transfers).ok  # all repeats: looked up, not inserted

    assert journal_ids(ledger) == [t.id for t in transfers]
    assert ledger.audit().ok
    engine.dispose()


def test_empty_batch_writes_nothing(ledger: Ledger) -> None:
    before = snapshot(ledger)

    results = ledger.create_transfers([])

    assert results == ()
    assert results.ok
    assert snapshot(ledger) == before


# -- bad input: a clear error naming the rule, and nothing written --------------------------


BAD_TRANSFERS = [
    pytest.param(
        Transfer("bad", "alice", "bob", 0, "USD"),
        InvalidTransfer,
        "amount must be positive",
        id="zero-amount",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", -5, "USD"),
        InvalidTransfer,
        "amount must be positive",
        id="negative-amount",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 1.5, "USD"),  # type: ignore[arg-type]
        InvalidTransfer,
        "integer count of minor units",
        id="float-amount",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 2.0, "USD"),  # type: ignore[arg-type]
        InvalidTransfer,
        "integer count of minor units",
        id="whole-float-amount",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", True, "USD"),
        InvalidTransfer,
        "integer count of minor units",
        id="bool-amount",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 2**63, "USD"),
        Overflow,
        "exceeds the largest balance",
        id="amount-beyond-int64",
    ),
    pytest.param(
        Transfer("bad", "alice", "alice", 5, "USD"),
        InvalidTransfer,
        "transfer to itself ('alice'",
        id="to-itself",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 5, "dollars"),
        InvalidTransfer,
        "'dollars' is not a currency code",
        id="not-a-currency",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 5, "EUR"),
        CurrencyMismatch,
        "account 'alice' in USD",
        id="currency-of-the-accounts-differs",
    ),
    pytest.param(
        Transfer("bad", "alice", "carol-eur", 5, "USD"),
        CurrencyMismatch,
        "account 'carol-eur' in EUR",
        id="accounts-in-two-currencies",
    ),
    pytest.param(
        Transfer("bad", "nobody", "bob", 5, "USD"),
        AccountNotFound,
        "debit account 'nobody' does not exist",
        id="unknown-debit-account",
    ),
    pytest.param(
        Transfer("bad", "alice", "nobody", 5, "USD"),
        AccountNotFound,
        "credit account 'nobody' does not exist",
        id="unknown-credit-account",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 101, "USD"),
        ExceedsCredits,
        "account 'alice' has 100 available, 101 asked (its debits must not exceed its credits)",
        id="overdraft-of-a-flagged-account",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 101, "USD", pending=True),
        ExceedsCredits,
        "account 'alice' has 100 available, 101 asked",
        id="pending-overdraft-of-a-flagged-account",
    ),
    pytest.param(
        Transfer("bad", "mint", "emission", 1, "USD"),
        ExceedsDebits,
        "account 'emission' may take 0 more",
        id="over-credit-of-a-flagged-source",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 5, "USD", timeout_ms=10),
        InvalidTransfer,
        "only a pending transfer has a timeout",
        id="timeout-on-a-plain-transfer",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 5, "USD", pending=True, timeout_ms=0),
        InvalidTransfer,
        "timeout must be a positive number",
        id="zero-timeout",
    ),
    pytest.param(
        Transfer("", "alice", "bob", 5, "USD"),
        InvalidTransfer,
        "transfer id must be a non-empty string",
        id="empty-id",
    ),
    pytest.param(
        Transfer("x" * 129, "alice", "bob", 5, "USD"),
        InvalidTransfer,
        "at most 128 characters",
        id="id-too-long",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 5, "USD", user_data="u" * 257),
        InvalidTransfer,
        "user data is longer than 256",
        id="user-data-too-long",
    ),
    pytest.param(
        Transfer("bad", "alice", "bob", 5, "USD", code="7"),  # type: ignore[arg-type]
        InvalidTransfer,
        "code must be an integer",
        id="code-not-an-integer",
    ),
]


@pytest.mark.parametrize(("transfer", "error_type", "phrase"), BAD_TRANSFERS)
def test_bad_transfer_fails_naming_its_rule_and_writes_nothing(
    ledger: Ledger, transfer: Transfer, error_type: type[LedgerError], phrase: str
) -> None:
    before = snapshot(ledger)

    results = ledger.create_transfers([transfer])

    (result,) = results
    assert (result.status, result.ok, result.timestamp_ms) == ("failed", False, None)
    assert type(result.error) is error_type
    assert result.error.rule == error_type.rule != LedgerError.rule
    assert phrase in str(result.error)
    assert snapshot(ledger) == before
    with pytest.raises(error_type, match=re.escape(phrase)):
        results.raise_first_error()


def test_transfer_that_would_take_a_balance_past_64_bits_fails_with_overflow(
    ledger: Ledger,
) -> None:
    # A balance holds up to 2**63 - 1: the largest amount fits once, one unit more does not.
    ledger.create_transfers(
        [Transfer("max", "emission", "bob", 2**63 - 1, "USD")]
    ).raise_first_error()
    before = snapshot(ledger)

    (result,) = ledger.create_transfers([Transfer("one-more", "mint", "bob", 1, "USD")])

    assert isinstance(result.error, Overflow)
    assert result.error.rule == "overflow"
    assert "would exceed" in str(result.error)
    assert snapshot(ledger) == before
    assert ledger.balance("bob").posted == 2**63 - 1


def test_overdraft_refusal_names_what_is_available_and_asked(ledger: Ledger) -> None:
    (result,) = ledger.create_transfers([Transfer("big", "alice", "bob", 250, "USD")])

    assert isinstance(result.error, ExceedsCredits)
    assert result.error.rule == "exceeds_credits"
    assert result.error.subject == "big"
    assert str(result.error) == (
        "transfer 'big': account 'alice' has 100 available, 250 asked "
        "(its debits must not exceed its credits)"
    )


def test_raise_first_error_returns_the_results_when_all_succeeded(ledger: Ledger) -> None:
    results = ledger.create_transfers([Transfer("t1", "alice", "bob", 1, "USD")])

    assert results.raise_first_error() is results


# -- closed accounts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "transfer",
    [Transfer("t1", "alice", "bob", 5, "USD"), Transfer("t1", "bob", "alice", 5, "USD")],
    ids=["debit-side", "credit-side"],
)
def test_closed_account_refuses_new_transfers_on_either_side(
    ledger: Ledger, transfer: Transfer
) -> None:
    ledger.create_transfers([Transfer("fund-bob", "mint", "bob", 10, "USD")]).raise_first_error()
    ledger.close_account("bob")
    before = snapshot(ledger)

    (result,) = ledger.create_transfers([transfer])

    assert isinstance(result.error, AccountClosed)
    assert result.error.rule == "account_closed"
    assert "account 'bob' is closed" in str(result.error)
    assert snapshot(ledger) == before


def test_closed_account_keeps_its_balances_and_is_marked_closed(ledger: Ledger) -> None:
    ledger.close_account("alice")

    assert ledger.balance("alice") == Balance("alice", "USD", 0, 0, 0, 100, closed=True)


def test_closing_an_account_twice_is_harmless(ledger: Ledger) -> None:
    ledger.close_account("alice")

    ledger.close_account("alice")

    assert ledger.balance("alice").closed


def test_closing_an_unknown_account_raises_account_not_found(ledger: Ledger) -> None:
    before = snapshot(ledger)

    with pytest.raises(AccountNotFound, match="'nobody'"):
        ledger.close_account("nobody")

    assert snapshot(ledger) == before


@pytest.mark.parametrize(
    ("resolve", "alice_after"),
    [("post_pending", (0, 40, 0, 100)), ("void_pending", (0, 0, 0, 100))],
    ids=["post", "void"],
)
def test_closed_account_still_resolves_its_pending_transfers(
    ledger: Ledger, resolve: str, alice_after: tuple[int, int, int, int]
) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True)]
    ).raise_first_error()
    ledger.close_account("alice")

    result = getattr(ledger, resolve)("p1")

    assert result.status == "created"
    assert balances(ledger, "alice") == alice_after


# -- idempotent ids -----------------------------------------------------------------------


def test_duplicate_transfer_id_with_same_body_is_a_no_op(
    ledger: Ledger, clock: ManualClock
) -> None:
    transfer = Transfer("t1", "alice", "bob", 30, "USD", code=3, user_data="ref")
    (first,) = ledger.create_transfers([transfer])
    before = snapshot(ledger)
    clock.advance(1_000)

    (again,) = ledger.create_transfers([transfer])

    assert (again.status, again.ok, again.error) == ("exists", True, None)
    assert again.timestamp_ms == first.timestamp_ms == START_MS
    assert snapshot(ledger) == before


def test_retry_of_a_transfer_that_emptied_its_account_is_a_no_op(ledger: Ledger) -> None:
    transfer = Transfer("t1", "alice", "bob", 100, "USD")
    ledger.create_transfers([transfer]).raise_first_error()
    before = snapshot(ledger)

    # alice holds nothing now: the retry must report the first result, not an overdraft.
    (again,) = ledger.create_transfers([transfer])

    assert again.status == "exists"
    assert snapshot(ledger) == before


def test_retry_of_a_transfer_whose_account_was_closed_since_is_a_no_op(ledger: Ledger) -> None:
    transfer = Transfer("t1", "alice", "bob", 10, "USD")
    ledger.create_transfers([transfer]).raise_first_error()
    ledger.close_account("alice")
    before = snapshot(ledger)

    (again,) = ledger.create_transfers([transfer])

    assert again.status == "exists"
    assert snapshot(ledger) == before


def test_retry_of_a_linked_batch_that_emptied_its_account_is_a_no_op(ledger: Ledger) -> None:
    batch = [Transfer("l1", "alice", "bob", 100, "USD"), Transfer("l2", "bob", "mint", 100, "USD")]
    ledger.create_transfers(batch, linked=True).raise_first_error()
    before = snapshot(ledger)

    results = ledger.create_transfers(batch, linked=True)

    assert [r.status for r in results] == ["exists", "exists"]
    assert snapshot(ledger) == before


def test_repeat_with_a_different_body_is_a_conflict_even_if_the_rules_would_refuse_it(
    ledger: Ledger,
) -> None:
    ledger.create_transfers([Transfer("t1", "alice", "bob", 100, "USD")]).raise_first_error()
    before = snapshot(ledger)

    (result,) = ledger.create_transfers([Transfer("t1", "alice", "bob", 101, "USD")])

    assert isinstance(result.error, TransferConflict)
    assert snapshot(ledger) == before


@pytest.mark.parametrize(
    "changed",
    [
        Transfer("t1", "alice", "bob", 31, "USD"),
        Transfer("t1", "alice", "mint", 30, "USD"),
        Transfer("t1", "mint", "bob", 30, "USD"),
        Transfer("t1", "alice", "bob", 30, "USD", code=1),
        Transfer("t1", "alice", "bob", 30, "USD", user_data="other"),
        Transfer("t1", "alice", "bob", 30, "USD", pending=True),
    ],
    ids=["amount", "credit-account", "debit-account", "code", "user-data", "pending"],
)
def test_duplicate_transfer_id_with_different_body_is_a_transfer_conflict(
    ledger: Ledger, changed: Transfer
) -> None:
    ledger.create_transfers([Transfer("t1", "alice", "bob", 30, "USD")]).raise_first_error()
    before = snapshot(ledger)

    (result,) = ledger.create_transfers([changed])

    assert isinstance(result.error, TransferConflict)
    assert result.error.rule == "transfer_conflict"
    assert "'t1' exists with a different body" in str(result.error)
    assert snapshot(ledger) == before


def test_duplicate_id_within_one_batch_is_written_once(ledger: Ledger) -> None:
    transfer = Transfer("t1", "alice", "bob", 30, "USD")

    results = ledger.create_transfers([transfer, transfer])

    assert [r.status for r in results] == ["created", "exists"]
    assert journal_ids(ledger) == ["fund-alice", "t1"]
    assert balances(ledger, "bob") == (0, 0, 0, 30)


def test_conflicting_id_within_one_batch_fails_the_second(ledger: Ledger) -> None:
    results = ledger.create_transfers(
        [Transfer("t1", "alice", "bob", 30, "USD"), Transfer("t1", "alice", "bob", 31, "USD")]
    )

    assert [r.status for r in results] == ["created", "failed"]
    assert isinstance(results[1].error, TransferConflict)
    assert balances(ledger, "bob") == (0, 0, 0, 30)


def test_repeats_mixed_with_new_ids_write_only_the_new(ledger: Ledger) -> None:
    ledger.create_transfers([Transfer("t1", "alice", "bob", 30, "USD")]).raise_first_error()

    results = ledger.create_transfers(
        [Transfer("t2", "alice", "bob", 5, "USD"), Transfer("t1", "alice", "bob", 30, "USD")]
    )

    assert [r.status for r in results] == ["created", "exists"]
    assert journal_ids(ledger) == ["fund-alice", "t1", "t2"]
    assert balances(ledger, "bob") == (0, 0, 0, 35)


def test_refused_transfer_id_is_not_taken_and_may_succeed_later(ledger: Ledger) -> None:
    transfer = Transfer("t1", "alice", "bob", 150, "USD")
    (refused,) = ledger.create_transfers([transfer])
    ledger.create_transfers([Transfer("more", "mint", "alice", 50, "USD")]).raise_first_error()

    (retried,) = ledger.create_transfers([transfer])

    assert isinstance(refused.error, ExceedsCredits)
    assert retried.status == "created"
    assert ledger.balance("alice").available == 0


# -- linked batches -----------------------------------------------------------------------


def test_linked_batch_commits_all_its_transfers(ledger: Ledger) -> None:
    results = ledger.create_transfers(
        [Transfer("l1", "alice", "bob", 60, "USD"), Transfer("l2", "bob", "mint", 25, "USD")],
        linked=True,
    )

    assert [r.status for r in results] == ["created", "created"]
    assert balances(ledger, "alice") == (0, 60, 0, 100)
    assert balances(ledger, "bob") == (0, 25, 0, 60)


def test_linked_batch_with_one_failure_writes_nothing(ledger: Ledger) -> None:
    before = snapshot(ledger)

    results = ledger.create_transfers(
        [
            Transfer("l1", "alice", "bob", 10, "USD"),
            Transfer("l2", "bob", "mint", 5, "USD"),
            Transfer("l3", "alice", "bob", 0, "USD"),
            Transfer("l4", "alice", "bob", 1, "USD"),
        ],
        linked=True,
    )

    assert [r.status for r in results] == ["failed"] * 4
    assert isinstance(results[2].error, InvalidTransfer)
    for index in (0, 1, 3):
        error = results[index].error
        assert isinstance(error, LinkedTransferFailed)
        assert error.rule == "linked_transfer_failed"
        assert "transfer 'l3' of its linked batch failed" in str(error)
    assert snapshot(ledger) == before


def test_raise_first_error_of_a_failed_linked_batch_raises_the_cause(ledger: Ledger) -> None:
    results = ledger.create_transfers(
        [Transfer("l1", "alice", "bob", 10, "USD"), Transfer("l2", "alice", "nobody", 1, "USD")],
        linked=True,
    )

    with pytest.raises(AccountNotFound, match="'nobody'"):
        results.raise_first_error()


def test_linked_batch_checks_each_transfer_against_the_balances_the_previous_left(
    ledger: Ledger,
) -> None:
    before = snapshot(ledger)

    # Each alone fits alice's 100; together they do not.
    results = ledger.create_transfers(
        [Transfer("l1", "alice", "bob", 60, "USD"), Transfer("l2", "alice", "bob", 60, "USD")],
        linked=True,
    )

    assert isinstance(results[1].error, ExceedsCredits)
    assert "has 40 available, 60 asked" in str(results[1].error)
    assert isinstance(results[0].error, LinkedTransferFailed)
    assert snapshot(ledger) == before


def test_linked_batch_may_fund_an_account_before_spending_from_it(ledger: Ledger) -> None:
    results = ledger.create_transfers(
        [Transfer("l1", "mint", "bob", 80, "USD"), Transfer("l2", "bob", "alice", 80, "USD")],
        linked=True,
    )

    assert results.ok
    assert balances(ledger, "bob") == (0, 80, 0, 80)


def test_linked_batch_of_only_repeats_is_a_no_op(ledger: Ledger) -> None:
    batch = [Transfer("l1", "alice", "bob", 10, "USD"), Transfer("l2", "bob", "mint", 5, "USD")]
    ledger.create_transfers(batch, linked=True).raise_first_error()
    before = snapshot(ledger)

    results = ledger.create_transfers(batch, linked=True)

    assert [r.status for r in results] == ["exists", "exists"]
    assert snapshot(ledger) == before


def test_linked_batch_with_a_conflicting_repeat_writes_nothing(ledger: Ledger) -> None:
    ledger.create_transfers([Transfer("l1", "alice", "bob", 10, "USD")]).raise_first_error()
    before = snapshot(ledger)

    results = ledger.create_transfers(
        [Transfer("l0", "alice", "bob", 1, "USD"), Transfer("l1", "alice", "bob", 11, "USD")],
        linked=True,
    )

    assert isinstance(results[1].error, TransferConflict)
    assert isinstance(results[0].error, LinkedTransferFailed)
    assert snapshot(ledger) == before


def test_linked_batch_that_failed_can_be_sent_again_once_it_fits(ledger: Ledger) -> None:
    batch = [Transfer("l1", "alice", "bob", 150, "USD"), Transfer("l2", "bob", "mint", 5, "USD")]
    assert not ledger.create_transfers(batch, linked=True).ok
    ledger.create_transfers([Transfer("more", "mint", "alice", 50, "USD")]).raise_first_error()

    results = ledger.create_transfers(batch, linked=True)

    assert [r.status for r in results] == ["created", "created"]


# -- two-phase transfers ------------------------------------------------------------------


def test_pending_transfer_reserves_the_amount_without_posting_it(ledger: Ledger) -> None:
    (result,) = ledger.create_transfers([Transfer("p1", "alice", "bob", 40, "USD", pending=True)])

    assert result.status == "created"
    assert balances(ledger, "alice") == (40, 0, 0, 100)
    assert balances(ledger, "bob") == (0, 0, 40, 0)
    assert ledger.balance("alice").available == 60
    assert ledger.balance("bob").available == 0


def test_reserved_amount_counts_against_a_flagged_account(ledger: Ledger) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 70, "USD", pending=True)]
    ).raise_first_error()
    before = snapshot(ledger)

    (result,) = ledger.create_transfers([Transfer("t1", "alice", "bob", 31, "USD")])

    assert isinstance(result.error, ExceedsCredits)
    assert "has 30 available, 31 asked" in str(result.error)
    assert snapshot(ledger) == before


def test_posting_a_pending_transfer_moves_the_reserved_amount_to_posted(
    ledger: Ledger, clock: ManualClock
) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True)]
    ).raise_first_error()
    clock.advance(5)

    result = ledger.post_pending("p1")

    assert (result.transfer_id, result.status, result.timestamp_ms) == (
        "p1:post",
        "created",
        START_MS + 5,
    )
    assert balances(ledger, "alice") == (0, 40, 0, 100)
    assert balances(ledger, "bob") == (0, 0, 0, 40)
    post = ledger.transfers(limit=1)[0]
    assert (post.phase, post.pending_id, post.amount) == (2, "p1", 40)


def test_voiding_a_pending_transfer_releases_the_reserved_amount(ledger: Ledger) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True)]
    ).raise_first_error()

    result = ledger.void_pending("p1")

    assert (result.transfer_id, result.status) == ("p1:void", "created")
    assert balances(ledger, "alice") == (0, 0, 0, 100)
    assert balances(ledger, "bob") == (0, 0, 0, 0)
    void = ledger.transfers(limit=1)[0]
    assert (void.phase, void.pending_id) == (3, "p1")


def test_pending_transfer_of_the_same_batch_can_be_resolved_later(ledger: Ledger) -> None:
    ledger.create_transfers(
        [
            Transfer("p1", "alice", "bob", 10, "USD", pending=True),
            Transfer("p2", "alice", "bob", 20, "USD", pending=True),
        ],
        linked=True,
    ).raise_first_error()

    ledger.post_pending("p1")
    ledger.void_pending("p2")

    assert balances(ledger, "alice") == (0, 10, 0, 100)
    assert balances(ledger, "bob") == (0, 0, 0, 10)


@pytest.mark.parametrize("resolve", ["post_pending", "void_pending"])
def test_resolving_a_pending_transfer_twice_returns_the_first_result(
    ledger: Ledger, clock: ManualClock, resolve: str
) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True)]
    ).raise_first_error()
    first = getattr(ledger, resolve)("p1")
    before = snapshot(ledger)
    clock.advance(1_000)

    again = getattr(ledger, resolve)("p1")

    assert again.status == "exists"
    assert (again.transfer_id, again.timestamp_ms) == (first.transfer_id, first.timestamp_ms)
    assert snapshot(ledger) == before


def test_posting_a_voided_transfer_raises_pending_transfer_voided(ledger: Ledger) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True)]
    ).raise_first_error()
    ledger.void_pending("p1")
    before = snapshot(ledger)

    with pytest.raises(PendingTransferVoided, match="'p1' was voided") as raised:
        ledger.post_pending("p1")

    assert raised.value.rule == "pending_transfer_voided"
    assert snapshot(ledger) == before


def test_voiding_a_posted_transfer_raises_pending_transfer_posted(ledger: Ledger) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True)]
    ).raise_first_error()
    ledger.post_pending("p1")
    before = snapshot(ledger)

    with pytest.raises(PendingTransferPosted, match="'p1' was posted") as raised:
        ledger.void_pending("p1")

    assert raised.value.rule == "pending_transfer_posted"
    assert snapshot(ledger) == before


@pytest.mark.parametrize("resolve", ["post_pending", "void_pending"])
@pytest.mark.parametrize("target", ["nothing-here", "fund-alice"], ids=["unknown", "plain"])
def test_resolving_what_is_not_a_pending_transfer_raises_pending_transfer_not_found(
    ledger: Ledger, resolve: str, target: str
) -> None:
    before = snapshot(ledger)

    with pytest.raises(PendingTransferNotFound, match=f"no pending transfer '{target}'") as raised:
        getattr(ledger, resolve)(target)

    assert raised.value.rule == "pending_transfer_not_found"
    assert snapshot(ledger) == before


def test_resolving_a_resolution_raises_pending_transfer_not_found(ledger: Ledger) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True)]
    ).raise_first_error()
    ledger.post_pending("p1")

    with pytest.raises(PendingTransferNotFound):
        ledger.post_pending("p1:post")


def test_posting_when_the_post_id_is_another_transfers_raises_transfer_conflict(
    ledger: Ledger,
) -> None:
    ledger.create_transfers(
        [
            Transfer("p1", "alice", "bob", 40, "USD", pending=True),
            Transfer("p1:post", "alice", "bob", 1, "USD"),
        ]
    ).raise_first_error()
    before = snapshot(ledger)

    with pytest.raises(TransferConflict, match="'p1:post'") as raised:
        ledger.post_pending("p1")

    assert raised.value.rule == "transfer_conflict"
    assert snapshot(ledger) == before


def test_pending_transfer_can_be_posted_until_just_before_its_timeout(
    ledger: Ledger, clock: ManualClock
) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True, timeout_ms=100)]
    ).raise_first_error()
    clock.advance(99)

    result = ledger.post_pending("p1")

    assert result.status == "created"
    assert balances(ledger, "bob") == (0, 0, 0, 40)


@pytest.mark.parametrize("late_ms", [100, 5_000])
def test_pending_transfer_cannot_be_posted_once_timed_out(
    ledger: Ledger, clock: ManualClock, late_ms: int
) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True, timeout_ms=100)]
    ).raise_first_error()
    clock.advance(late_ms)
    before = snapshot(ledger)

    with pytest.raises(PendingTransferExpired, match="'p1' timed out") as raised:
        ledger.post_pending("p1")

    assert raised.value.rule == "pending_transfer_expired"
    assert snapshot(ledger) == before


def test_timed_out_pending_transfer_can_still_be_voided_by_hand(
    ledger: Ledger, clock: ManualClock
) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 40, "USD", pending=True, timeout_ms=100)]
    ).raise_first_error()
    clock.advance(500)

    result = ledger.void_pending("p1")

    assert result.status == "created"
    assert balances(ledger, "alice") == (0, 0, 0, 100)


def test_void_expired_voids_only_unresolved_pending_transfers_past_their_timeout(
    ledger: Ledger, clock: ManualClock
) -> None:
    ledger.create_transfers(
        [
            Transfer("expires", "alice", "bob", 10, "USD", pending=True, timeout_ms=50),
            Transfer("later", "alice", "bob", 20, "USD", pending=True, timeout_ms=500),
            Transfer("never", "alice", "bob", 30, "USD", pending=True),
            Transfer("posted", "alice", "bob", 5, "USD", pending=True, timeout_ms=50),
        ]
    ).raise_first_error()
    ledger.post_pending("posted")
    clock.advance(50)

    results = ledger.void_expired()

    assert [(r.transfer_id, r.status) for r in results] == [("expires:void", "created")]
    # alice: 100 credited; 5 posted; 20 + 30 still reserved.
    assert balances(ledger, "alice") == (50, 5, 0, 100)
    assert balances(ledger, "bob") == (0, 0, 50, 5)


def test_void_expired_twice_voids_nothing_more(ledger: Ledger, clock: ManualClock) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 10, "USD", pending=True, timeout_ms=50)]
    ).raise_first_error()
    clock.advance(60)
    ledger.void_expired()
    before = snapshot(ledger)

    results = ledger.void_expired()

    assert results == ()
    assert snapshot(ledger) == before


def test_pending_transfer_without_a_timeout_never_expires(
    ledger: Ledger, clock: ManualClock
) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 10, "USD", pending=True)]
    ).raise_first_error()
    clock.advance(10**12)

    voided = ledger.void_expired()
    posted = ledger.post_pending("p1")

    assert voided == ()
    assert posted.status == "created"


def test_expired_and_voided_pending_transfer_cannot_be_posted(
    ledger: Ledger, clock: ManualClock
) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 10, "USD", pending=True, timeout_ms=50)]
    ).raise_first_error()
    clock.advance(50)
    ledger.void_expired()

    with pytest.raises(PendingTransferVoided):
        ledger.post_pending("p1")

    assert balances(ledger, "alice") == (0, 0, 0, 100)


def test_void_expired_frees_the_reservation_for_new_transfers(
    ledger: Ledger, clock: ManualClock
) -> None:
    ledger.create_transfers(
        [Transfer("p1", "alice", "bob", 100, "USD", pending=True, timeout_ms=10)]
    ).raise_first_error()
    refused = ledger.create_transfers([Transfer("t1", "alice", "bob", 1, "USD")])
    clock.advance(10)
    ledger.void_expired()

    (accepted,) = ledger.create_transfers([Transfer("t1", "alice", "bob", 1, "USD")])

    assert isinstance(refused[0].error, ExceedsCredits)
    assert accepted.status == "created"


# -- the store, and worlds ----------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def unmigrated_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty store no migration has run on: a new file, or a new schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    postgres_url = os.environ.get("MINDSHARE_TEST_DATABASE_URL", "")
    if not postgres_url:
        pytest.skip("PostgreSQL suite did not run: MINDSHARE_TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = connect(postgres_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def test_open_on_an_unmigrated_store_raises_store_error(unmigrated_store_url: str) -> None:
    with pytest.raises(StoreError, match="mindshare init"):
        Ledger.open(unmigrated_store_url, world_id=WORLD)


def test_open_by_url_reaches_the_same_ledger(database: sa.Engine, clock: ManualClock) -> None:
    Ledger(database, WORLD).create_accounts([Account("a", "o", "person", "USD")])

    with Ledger.open(store_url(database), world_id=WORLD, clock=clock) as opened:
        opened.create_accounts([Account("b", "o", "person", "USD")])
        opened.create_transfers([Transfer("t1", "a", "b", 3, "USD")]).raise_first_error()

    assert Ledger(database, WORLD).balance("b").posted == 3


def test_two_worlds_in_one_store_are_independent(database: sa.Engine) -> None:
    first, second = Ledger(database, "world-1"), Ledger(database, "world-2")
    for ledger, currency in ((first, "USD"), (second, "EUR")):
        ledger.create_accounts(
            [
                Account("a", "o", "person", currency),
                Account("b", "o", "person", currency, debits_must_not_exceed_credits=True),
            ]
        )

    # The same ids with different bodies: no conflict across worlds.
    first.create_transfers([Transfer("t1", "a", "b", 10, "USD")]).raise_first_error()
    second.create_transfers([Transfer("t1", "a", "b", 99, "EUR")]).raise_first_error()
    second.create_transfers([Transfer("p1", "a", "b", 1, "EUR", pending=True)]).raise_first_error()

    assert balances(first, "b") == (0, 0, 0, 10)
    assert balances(second, "b") == (0, 0, 1, 99)
    assert [e.transfer_id for e in first.transfers()] == ["t1"]
    assert [e.transfer_id for e in second.transfers()] == ["p1", "t1"]
    with pytest.raises(PendingTransferNotFound):
        first.post_pending("p1")
    assert first.audit().transfers == 1
    assert first.audit().ok
    assert second.audit().transfers == 2
    assert second.audit().ok


def test_an_account_of_another_world_is_unknown(database: sa.Engine) -> None:
    Ledger(database, "world-1").create_accounts([Account("a", "o", "person", "USD")])
    other = Ledger(database, "world-2")
    other.create_accounts([Account("b", "o", "person", "USD")])

    (result,) = other.create_transfers([Transfer("t1", "a", "b", 1, "USD")])

    assert isinstance(result.error, AccountNotFound)
    with pytest.raises(AccountNotFound):
        other.balance("a")


def test_every_ledger_error_is_a_subclass_of_ledger_error() -> None:
    errors: list[Callable[..., LedgerError]] = [
        InvalidTransfer,
        AccountNotFound,
        AccountClosed,
        CurrencyMismatch,
        ExceedsCredits,
        ExceedsDebits,
        AccountConflict,
        TransferConflict,
        PendingTransferNotFound,
        PendingTransferVoided,
        PendingTransferPosted,
        PendingTransferExpired,
        LinkedTransferFailed,
        Overflow,
    ]

    rules = {error("x").rule for error in errors}

    assert len(rules) == len(errors)
    assert all(isinstance(error("x", subject="s"), LedgerError) for error in errors)


def test_ledger_audit_is_ok_after_the_whole_spec_runs(ledger: Ledger, clock: ManualClock) -> None:
    ledger.create_transfers(
        [
            Transfer("t1", "alice", "bob", 30, "USD"),
            Transfer("p1", "bob", "alice", 10, "USD", pending=True, timeout_ms=5),
            Transfer("p2", "alice", "mint", 10, "USD", pending=True),
            Transfer("e1", "emission", "bob", 7, "USD"),
        ]
    ).raise_first_error()
    ledger.post_pending("p2")
    clock.advance(5)
    ledger.void_expired()

    report = ledger.audit()

    assert report.ok, report.problems
    assert report.transfers == 7
    (usd,) = [totals for totals in report.currencies if totals.currency == "USD"]
    # Posted: 100 + 30 + 10 + 7 moved; nothing left pending.
    assert (usd.debits_posted, usd.credits_posted) == (147, 147)
    assert (usd.debits_pending, usd.credits_pending) == (0, 0)
