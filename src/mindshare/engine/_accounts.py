"""Open the ledger accounts the economy and the market name, with the flags the economy gives."""

from collections.abc import Iterable, Sequence

from mindshare.economy import Posting, account_spec
from mindshare.ledger import Account, Ledger, Transfer, TransferResults


def open_economy_accounts(ledger: Ledger, account_ids: Iterable[str]) -> None:
    """Open each account (flags from ``account_spec``); one already open is left as it is."""
    specs = [account_spec(account_id) for account_id in sorted(set(account_ids))]
    for result in ledger.create_accounts(
        Account(
            s.account_id,
            s.owner,
            s.kind,
            s.currency,
            s.debits_must_not_exceed_credits,
            s.credits_must_not_exceed_debits,
        )
        for s in specs
    ):
        if result.error is not None:
            raise result.error


def post_economy_transfers(
    ledger: Ledger, postings: Sequence[Posting], *, linked: bool = False
) -> TransferResults:
    """Write the economy's postings as ledger transfers, opening the accounts they name;
    the first failure is raised (for a linked batch, nothing was written)."""
    open_economy_accounts(
        ledger, [a for p in postings for a in (p.debit_account_id, p.credit_account_id)]
    )
    return ledger.create_transfers(
        [
            Transfer(
                p.transfer_id,
                p.debit_account_id,
                p.credit_account_id,
                p.amount,
                p.currency,
                int(p.code),
                p.user_data or None,
            )
            for p in postings
        ],
        linked=linked,
    ).raise_first_error()
