"""The audit: ``audit_journal`` on hand-made journals, and ``Ledger.audit`` finding tampering."""

import json

import pytest
import sqlalchemy as sa

from mindshare.ledger import Account, JournalEntry, Ledger, Transfer
from mindshare.ledger._audit import MAX_PROBLEMS, audit_journal
from mindshare.ledger._rules import PENDING, PLAIN, POST, VOID, AccountState
from mindshare.ledger._types import CREDITS_MUST_NOT_EXCEED_DEBITS, DEBITS_MUST_NOT_EXCEED_CREDITS

WORLD = "w1"
NOT_NEGATIVE = DEBITS_MUST_NOT_EXCEED_CREDITS


def account(
    account_id: str,
    balances: tuple[int, int, int, int] = (0, 0, 0, 0),
    *,
    currency: str = "USD",
    flags: int = 0,
) -> AccountState:
    """A stored account: debits pending and posted, credits pending and posted."""
    return AccountState(account_id, currency, flags, False, *balances)


def plain(
    transfer_id: str, debit: str, credit: str, amount: int, currency: str = "USD"
) -> JournalEntry:
    return JournalEntry(transfer_id, debit, credit, amount, currency, 0, None, PLAIN, None, None, 0)


def pending(transfer_id: str, debit: str, credit: str, amount: int) -> JournalEntry:
    return JournalEntry(transfer_id, debit, credit, amount, "USD", 0, None, PENDING, None, None, 0)


def resolution(of: str, debit: str, credit: str, amount: int, *, post: bool = True) -> JournalEntry:
    phase, kind = (POST, "post") if post else (VOID, "void")
    return JournalEntry(f"{of}:{kind}", debit, credit, amount, "USD", 0, None, phase, of, None, 1)


def problems_naming(report_problems: tuple[str, ...], text: str) -> list[str]:
    return [problem for problem in report_problems if text in problem]


# -- audit_journal, pure ------------------------------------------------------------------


def test_empty_ledger_is_sound() -> None:
    report = audit_journal(WORLD, [], [])

    assert report.ok
    assert (report.world_id, report.accounts, report.transfers) == (WORLD, 0, 0)
    assert report.currencies == ()
    assert report.problems == ()


def test_journal_that_replays_to_the_stored_balances_is_sound() -> None:
    # mint -> alice 100; alice -> bob 30 pending, posted; alice -> bob 20 pending, voided;
    # alice -> bob 5 pending, still open.
    stored = [
        account("mint", (0, 100, 0, 0)),
        account("alice", (5, 30, 0, 100), flags=NOT_NEGATIVE),
        account("bob", (0, 0, 5, 30), flags=NOT_NEGATIVE),
    ]
    journal = [
        plain("t1", "mint", "alice", 100),
        pending("p1", "alice", "bob", 30),
        pending("p2", "alice", "bob", 20),
        resolution("p1", "alice", "bob", 30),
        resolution("p2", "alice", "bob", 20, post=False),
        pending("p3", "alice", "bob", 5),
    ]

    report = audit_journal(WORLD, stored, journal)

    assert report.ok, report.problems
    assert (report.accounts, report.transfers) == (3, 6)
    (usd,) = report.currencies
    assert (usd.currency, usd.debits_posted, usd.credits_posted) == ("USD", 130, 130)
    assert (usd.debits_pending, usd.credits_pending) == (5, 5)


def test_totals_are_kept_per_currency() -> None:
    stored = [
        account("a", (0, 7, 0, 0)),
        account("b", (0, 0, 0, 7)),
        account("c", (0, 3, 0, 0), currency="EUR"),
        account("d", (0, 0, 0, 3), currency="EUR"),
    ]
    journal = [plain("t1", "a", "b", 7), plain("t2", "c", "d", 3, "EUR")]

    report = audit_journal(WORLD, stored, journal)

    assert report.ok
    assert [(t.currency, t.debits_posted, t.credits_posted) for t in report.currencies] == [
        ("EUR", 3, 3),
        ("USD", 7, 7),
    ]


def test_stored_balance_that_differs_from_the_journal_is_reported_naming_the_account() -> None:
    stored = [account("a", (0, 7, 0, 0)), account("b", (0, 0, 0, 8))]

    report = audit_journal(WORLD, stored, [plain("t1", "a", "b", 7)])

    assert not report.ok
    assert problems_naming(report.problems, "account 'b' stores balances (0, 0, 0, 8)")
    assert problems_naming(report.problems, "journal gives (0, 0, 0, 7)")
    assert not problems_naming(report.problems, "account 'a'")


def test_unequal_debits_and_credits_of_a_currency_are_reported() -> None:
    stored = [account("a", (0, 7, 0, 0)), account("b", (0, 0, 0, 8))]

    report = audit_journal(WORLD, stored, [plain("t1", "a", "b", 7)])

    assert problems_naming(report.problems, "USD: posted debits 7 differ from posted credits 8")


def test_unequal_pending_debits_and_credits_are_reported() -> None:
    stored = [account("a", (2, 0, 0, 0)), account("b", (0, 0, 3, 0))]

    report = audit_journal(WORLD, stored, [])

    assert problems_naming(report.problems, "USD: pending debits 2 differ from pending credits 3")


def test_row_naming_an_unknown_account_is_reported() -> None:
    report = audit_journal(WORLD, [account("a")], [plain("t1", "a", "ghost", 5)])

    assert not report.ok
    assert problems_naming(report.problems, "transfer 't1' names an account that does not exist")


@pytest.mark.parametrize("amount", [0, -3])
def test_row_with_a_non_positive_amount_is_reported(amount: int) -> None:
    stored = [account("a", (0, amount, 0, 0)), account("b", (0, 0, 0, amount))]

    report = audit_journal(WORLD, stored, [plain("t1", "a", "b", amount)])

    assert problems_naming(report.problems, f"transfer 't1' has a non-positive amount {amount}")


def test_row_debiting_and_crediting_one_account_is_reported() -> None:
    report = audit_journal(WORLD, [account("a", (0, 5, 0, 5))], [plain("t1", "a", "a", 5)])

    assert problems_naming(report.problems, "transfer 't1' debits and credits the same account")


def test_row_in_another_currency_than_its_accounts_is_reported() -> None:
    stored = [account("a", (0, 5, 0, 0)), account("b", (0, 0, 0, 5), currency="EUR")]

    report = audit_journal(WORLD, stored, [plain("t1", "a", "b", 5)])

    assert problems_naming(report.problems, "transfer 't1' is in USD between accounts")


def test_resolution_of_no_earlier_pending_transfer_is_reported() -> None:
    report = audit_journal(WORLD, [account("a"), account("b")], [resolution("p1", "a", "b", 5)])

    assert problems_naming(report.problems, "resolves 'p1', not an earlier pending transfer")


def test_resolution_before_its_pending_transfer_is_reported() -> None:
    journal = [resolution("p1", "a", "b", 5, post=False), pending("p1", "a", "b", 5)]

    report = audit_journal(WORLD, [account("a", (5, 0, 0, 0)), account("b", (0, 0, 5, 0))], journal)

    assert problems_naming(report.problems, "resolves 'p1', not an earlier pending transfer")


def test_second_resolution_of_one_pending_transfer_is_reported() -> None:
    stored = [account("a", (-5, 5, 0, 0)), account("b", (0, 0, -5, 5))]
    journal = [
        pending("p1", "a", "b", 5),
        resolution("p1", "a", "b", 5),
        resolution("p1", "a", "b", 5, post=False),
    ]

    report = audit_journal(WORLD, stored, journal)

    assert problems_naming(report.problems, "resolves 'p1' a second time")


def test_resolution_that_differs_from_its_pending_transfer_is_reported() -> None:
    stored = [account("a", (-4, 9, 0, 0)), account("b", (0, 0, -4, 9))]
    journal = [pending("p1", "a", "b", 5), resolution("p1", "a", "b", 9)]

    report = audit_journal(WORLD, stored, journal)

    assert problems_naming(report.problems, "transfer 'p1:post' differs from the pending transfer")


def test_flagged_account_overdrawn_at_any_row_is_reported_even_if_repaid_later() -> None:
    # alice spends 10 she does not have, then is funded: the end balances are fine.
    stored = [
        account("alice", (0, 10, 0, 10), flags=NOT_NEGATIVE),
        account("bob", (0, 0, 0, 10)),
        account("mint", (0, 10, 0, 0)),
    ]
    journal = [plain("t1", "alice", "bob", 10), plain("t2", "mint", "alice", 10)]

    report = audit_journal(WORLD, stored, journal)

    assert report.problems == (
        "account 'alice' broke debits_must_not_exceed_credits at transfer 't1'",
    )


def test_flagged_source_over_credited_is_reported() -> None:
    stored = [
        account("bob", (0, 3, 0, 0)),
        account("emission", (0, 0, 0, 3), flags=CREDITS_MUST_NOT_EXCEED_DEBITS),
    ]

    report = audit_journal(WORLD, stored, [plain("t1", "bob", "emission", 3)])

    assert problems_naming(
        report.problems, "account 'emission' broke credits_must_not_exceed_debits at transfer 't1'"
    )


def test_pending_debits_count_against_a_flagged_account() -> None:
    stored = [account("alice", (5, 0, 0, 0), flags=NOT_NEGATIVE), account("bob", (0, 0, 5, 0))]

    report = audit_journal(WORLD, stored, [pending("p1", "alice", "bob", 5)])

    assert problems_naming(report.problems, "account 'alice' broke debits_must_not_exceed_credits")


def test_stored_balances_that_break_a_flag_are_reported() -> None:
    stored = [account("alice", (0, 1, 0, 0), flags=NOT_NEGATIVE), account("bob", (0, 0, 0, 1))]

    report = audit_journal(WORLD, stored, [])

    assert problems_naming(
        report.problems, "account 'alice' breaks debits_must_not_exceed_credits in its stored"
    )


def test_problems_beyond_the_limit_are_counted_not_listed() -> None:
    journal = [plain(f"t{i}", "a", "ghost", 1) for i in range(MAX_PROBLEMS + 50)]

    report = audit_journal(WORLD, [account("a")], journal)

    assert not report.ok
    assert len(report.problems) == MAX_PROBLEMS + 1
    assert report.problems[-1] == "… and 50 more problems"


def test_report_converts_to_json() -> None:
    stored = [account("a", (0, 7, 0, 0)), account("b", (0, 0, 0, 7))]
    report = audit_journal(WORLD, stored, [plain("t1", "a", "b", 7)])

    loaded = json.loads(json.dumps(report.to_dict()))

    assert loaded == {
        "ok": True,
        "world_id": WORLD,
        "accounts": 2,
        "transfers": 1,
        "currencies": [
            {
                "currency": "USD",
                "debits_posted": 7,
                "credits_posted": 7,
                "debits_pending": 0,
                "credits_pending": 0,
            }
        ],
        "problems": [],
    }


def test_audit_journal_reads_the_journal_once_as_a_stream() -> None:
    stored = [account("a", (0, 7, 0, 0)), account("b", (0, 0, 0, 7))]

    report = audit_journal(WORLD, iter(stored), (entry for entry in [plain("t1", "a", "b", 7)]))

    assert report.ok
    assert report.transfers == 1


# -- Ledger.audit on a store, and tampering with it ---------------------------------------


@pytest.fixture
def ledger(database: sa.Engine) -> Ledger:
    """alice (not negative) funded 100 by the mint, 30 of it sent to bob, 5 reserved."""
    ledger = Ledger(database, WORLD)
    ledger.create_accounts(
        [
            Account("mint", "platform", "platform", "USD"),
            Account("alice", "alice", "person", "USD", debits_must_not_exceed_credits=True),
            Account("bob", "bob", "person", "USD", debits_must_not_exceed_credits=True),
        ]
    )
    ledger.create_transfers(
        [
            Transfer("t1", "mint", "alice", 100, "USD"),
            Transfer("t2", "alice", "bob", 30, "USD"),
            Transfer("p1", "alice", "bob", 5, "USD", pending=True),
        ]
    ).raise_first_error()
    return ledger


def execute(engine: sa.Engine, statement: str, **params: object) -> None:
    """Raw SQL behind the ledger's back."""
    with engine.begin() as connection:
        connection.execute(sa.text(statement), {"world": WORLD, **params})


BALANCE_OF = (
    "account_key = (SELECT account_key FROM ledger_accounts "
    "WHERE world_id = :world AND account_id = :account)"
)


def test_audit_of_an_untouched_ledger_is_ok(ledger: Ledger) -> None:
    report = ledger.audit()

    assert report.ok, report.problems
    assert (report.world_id, report.accounts, report.transfers) == (WORLD, 3, 3)
    (usd,) = report.currencies
    assert (usd.debits_posted, usd.credits_posted, usd.debits_pending) == (130, 130, 5)


def test_audit_finds_a_corrupted_stored_balance(ledger: Ledger, database: sa.Engine) -> None:
    execute(
        database,
        f"UPDATE ledger_balances SET credits_posted = credits_posted + 1 WHERE {BALANCE_OF}",
        account="bob",
    )

    report = ledger.audit()

    assert not report.ok
    assert problems_naming(report.problems, "account 'bob' stores balances (0, 0, 5, 31)")
    assert problems_naming(report.problems, "posted debits 130 differ from posted credits 131")


def test_audit_finds_a_deleted_journal_row(ledger: Ledger, database: sa.Engine) -> None:
    execute(database, "DELETE FROM ledger_transfers WHERE world_id = :world AND transfer_id = 't2'")

    report = ledger.audit()

    assert not report.ok
    assert report.transfers == 2
    assert problems_naming(report.problems, "account 'alice' stores balances (5, 30, 0, 100)")
    assert problems_naming(report.problems, "account 'bob' stores balances (0, 0, 5, 30)")


def test_audit_finds_a_journal_row_whose_amount_was_changed(
    ledger: Ledger, database: sa.Engine
) -> None:
    execute(
        database,
        "UPDATE ledger_transfers SET amount = 300 WHERE world_id = :world AND transfer_id = 't2'",
    )

    report = ledger.audit()

    assert problems_naming(report.problems, "account 'alice' broke debits_must_not_exceed_credits")
    assert problems_naming(report.problems, "account 'alice' stores balances")


def test_audit_finds_a_forged_overdraft_with_its_balances(
    ledger: Ledger, database: sa.Engine
) -> None:
    # A row and matching balances written past the rules: the replay agrees, the flag not.
    execute(
        database,
        "INSERT INTO ledger_transfers (world_id, transfer_id, debit_account_id, "
        "credit_account_id, amount, currency, code, phase, timestamp_ms) "
        "VALUES (:world, 'forged', 'bob', 'mint', 500, 'USD', 0, 0, 0)",
    )
    execute(
        database,
        f"UPDATE ledger_balances SET debits_posted = debits_posted + 500 WHERE {BALANCE_OF}",
        account="bob",
    )
    execute(
        database,
        f"UPDATE ledger_balances SET credits_posted = credits_posted + 500 WHERE {BALANCE_OF}",
        account="mint",
    )

    report = ledger.audit()

    assert not report.ok
    assert problems_naming(
        report.problems, "account 'bob' broke debits_must_not_exceed_credits at transfer 'forged'"
    )
    assert problems_naming(report.problems, "account 'bob' breaks debits_must_not_exceed_credits")
    assert not problems_naming(report.problems, "stores balances")


def test_audit_finds_a_deleted_resolution(ledger: Ledger, database: sa.Engine) -> None:
    ledger.post_pending("p1")
    execute(
        database, "DELETE FROM ledger_transfers WHERE world_id = :world AND transfer_id = 'p1:post'"
    )

    report = ledger.audit()

    assert problems_naming(report.problems, "account 'alice' stores balances (0, 35, 0, 100)")
    assert problems_naming(report.problems, "journal gives (5, 30, 0, 100)")


def test_tampering_with_one_world_leaves_the_others_audit_ok(
    ledger: Ledger, database: sa.Engine
) -> None:
    other = Ledger(database, "w2")
    other.create_accounts(
        [Account("mint", "p", "platform", "USD"), Account("bob", "b", "person", "USD")]
    )
    other.create_transfers([Transfer("t1", "mint", "bob", 9, "USD")]).raise_first_error()

    execute(
        database,
        f"UPDATE ledger_balances SET credits_posted = 0 WHERE {BALANCE_OF}",
        account="bob",
    )

    assert not ledger.audit().ok
    assert other.audit().ok
