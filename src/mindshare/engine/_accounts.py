"""Open the ledger accounts the economy and the market name, with the flags the economy gives."""

from collections.abc import Iterable

from mindshare.economy import account_spec
from mindshare.ledger import Account, Ledger


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
