"""The audit: every balance recomputed from the journal, and the ledger's invariants checked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from mindshare.ledger._rules import (
    PENDING,
    PLAIN,
    AccountState,
    JournalEntry,
    broken_flag,
    replay,
)
from mindshare.ledger._types import AuditReport, CurrencyTotals

#: Problems listed in full; beyond this the report gives only their count.
MAX_PROBLEMS = 100


def audit_journal(
    world_id: str,
    stored: Iterable[AccountState],
    journal: Iterable[JournalEntry],
) -> AuditReport:
    """Replay ``journal`` (in its order) from zero and compare with the ``stored`` balances.

    Checks: every row names existing accounts of its currency, a positive amount and two
    different accounts; a post or void resolves an earlier pending transfer of the same
    accounts and amount, once; no flagged account breaks its flag after any row; the
    recomputed balances equal the stored ones; and per currency, debits equal credits.
    """
    problems: list[str] = []
    count = 0

    def problem(text: str) -> None:
        nonlocal count
        count += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(text)

    stored_by_id = {account.account_id: account for account in stored}
    replayed = {
        account_id: AccountState(account_id, account.currency, account.flags, account.closed)
        for account_id, account in stored_by_id.items()
    }
    pendings: dict[str, JournalEntry] = {}
    resolved: set[str] = set()
    transfers = 0
    for entry in journal:
        transfers += 1
        name = f"transfer {entry.transfer_id!r}"
        debit = replayed.get(entry.debit_account_id)
        credit = replayed.get(entry.credit_account_id)
        if debit is None or credit is None:
            problem(f"{name} names an account that does not exist")
            continue
        if entry.amount <= 0:
            problem(f"{name} has a non-positive amount {entry.amount}")
        if debit is credit:
            problem(f"{name} debits and credits the same account")
        if not debit.currency == credit.currency == entry.currency:
            problem(f"{name} is in {entry.currency} between accounts in other currencies")
        if entry.phase == PENDING:
            pendings[entry.transfer_id] = entry
        elif entry.phase != PLAIN:
            pending = pendings.get(entry.pending_id or "")
            if pending is None:
                problem(f"{name} resolves {entry.pending_id!r}, not an earlier pending transfer")
                continue
            if entry.pending_id in resolved:
                problem(f"{name} resolves {entry.pending_id!r} a second time")
            if (pending.debit_account_id, pending.credit_account_id, pending.amount) != (
                entry.debit_account_id,
                entry.credit_account_id,
                entry.amount,
            ):
                problem(f"{name} differs from the pending transfer it resolves")
            resolved.add(entry.pending_id or "")
        replay(entry, debit, credit)
        for account in (debit, credit):
            flag = broken_flag(account)
            if flag is not None:
                problem(f"account {account.account_id!r} broke {flag} at {name}")

    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for account_id, account in stored_by_id.items():
        again = replayed[account_id]
        if account.balances() != again.balances():
            problem(
                f"account {account_id!r} stores balances {account.balances()} but its journal "
                f"gives {again.balances()} (debits pending, posted; credits pending, posted)"
            )
        flag = broken_flag(account)
        if flag is not None:
            problem(f"account {account_id!r} breaks {flag} in its stored balances")
        sums = totals[account.currency]
        for i, value in enumerate(account.balances()):
            sums[i] += value
    currencies = tuple(
        CurrencyTotals(currency, sums[1], sums[3], sums[0], sums[2])
        for currency, sums in sorted(totals.items())
    )
    for totals_row in currencies:
        if totals_row.debits_posted != totals_row.credits_posted:
            problem(
                f"{totals_row.currency}: posted debits {totals_row.debits_posted} differ from "
                f"posted credits {totals_row.credits_posted}"
            )
        if totals_row.debits_pending != totals_row.credits_pending:
            problem(
                f"{totals_row.currency}: pending debits {totals_row.debits_pending} differ from "
                f"pending credits {totals_row.credits_pending}"
            )
    if count > len(problems):
        problems.append(f"… and {count - len(problems)} more problems")
    return AuditReport(
        ok=count == 0,
        world_id=world_id,
        accounts=len(stored_by_id),
        transfers=transfers,
        currencies=currencies,
        problems=tuple(problems),
    )
