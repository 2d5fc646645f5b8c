"""The ledger's values: accounts, transfers, balances and the results of writing them."""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Literal, NamedTuple

from mindshare.core import LedgerError, LinkedTransferFailed

AccountKind = Literal["person", "creator", "advertiser", "platform", "pool", "escrow"]
ACCOUNT_KINDS: frozenset[str] = frozenset(
    ("person", "creator", "advertiser", "platform", "pool", "escrow")
)

#: Account flag bits as stored.
DEBITS_MUST_NOT_EXCEED_CREDITS = 1
CREDITS_MUST_NOT_EXCEED_DEBITS = 2

#: The largest amount or balance a BIGINT column holds.
INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Account:
    """An account of one owner in one currency, optionally barred from going negative.

    ``debits_must_not_exceed_credits`` suits every account that holds someone's money
    (a person's, a creator's, a pool); ``credits_must_not_exceed_debits`` suits the
    mirror image, an account that may only ever be drawn from (an emission source).
    """

    id: str
    owner: str
    kind: AccountKind
    currency: str
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False

    @property
    def flags(self) -> int:
        """The flag bits as the store keeps them."""
        return (DEBITS_MUST_NOT_EXCEED_CREDITS if self.debits_must_not_exceed_credits else 0) | (
            CREDITS_MUST_NOT_EXCEED_DEBITS if self.credits_must_not_exceed_debits else 0
        )


class Transfer(NamedTuple):
    """Move ``amount`` minor units from the debit account to the credit account.

    A ``pending`` transfer only reserves the amount (two-phase): it is later posted or
    voided, and voided by the ledger if not posted within ``timeout_ms``. ``code`` and
    ``user_data`` are the caller's: what the transfer was for, and a reference.
    A named tuple rather than a dataclass: batches make hundreds of thousands a second.
    """

    id: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    currency: str
    code: int = 0
    user_data: str | None = None
    pending: bool = False
    timeout_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's four balances; debits minus credits is never stored, only derived."""

    account_id: str
    currency: str
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    closed: bool = False

    @property
    def posted(self) -> int:
        """Credits minus debits, posted only: what the owner holds (for an asset-like view)."""
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        """What can still be debited: posted credits less posted and reserved debits."""
        return self.credits_posted - self.debits_posted - self.debits_pending


TransferStatus = Literal["created", "exists", "failed"]


class TransferResult(NamedTuple):
    """What became of one transfer: created now, already there (same body), or failed."""

    transfer_id: str
    status: TransferStatus
    timestamp_ms: int | None = None
    error: LedgerError | None = None

    @property
    def ok(self) -> bool:
        """Created or already there: either way the transfer is in the journal."""
        return self.status != "failed"


_status = itemgetter(1)  # a result's status, read in C: a batch has thousands


class TransferResults(tuple[TransferResult, ...]):
    """The results of one batch, in the order of its transfers."""

    __slots__ = ()

    @property
    def ok(self) -> bool:
        """Every transfer of the batch is in the journal."""
        return "failed" not in map(_status, self)

    @property
    def failed(self) -> tuple[TransferResult, ...]:
        """The transfers that were not written, each with its error."""
        return tuple(result for result in self if not result.ok)

    def raise_first_error(self) -> TransferResults:
        """Raise the first failure's error (the cause, for a linked batch), else return self."""
        errors = [result.error for result in self if result.error is not None]
        causes = [error for error in errors if not isinstance(error, LinkedTransferFailed)]
        if causes or errors:
            raise (causes or errors)[0]
        return self


AccountStatus = Literal["created", "exists", "failed"]


@dataclass(frozen=True, slots=True)
class AccountResult:
    """What became of one account: created now, already there (same body), or failed."""

    account_id: str
    status: AccountStatus
    error: LedgerError | None = None

    @property
    def ok(self) -> bool:
        """Created or already there."""
        return self.status != "failed"


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    """Sums over every account in one currency; debits equal credits in a sound ledger."""

    currency: str
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The audit's findings: ``ok`` when every balance, total and flag checks out."""

    ok: bool
    world_id: str
    accounts: int
    transfers: int
    currencies: tuple[CurrencyTotals, ...]
    problems: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form, for ``mindshare ledger audit --json``."""
        return {
            "ok": self.ok,
            "world_id": self.world_id,
            "accounts": self.accounts,
            "transfers": self.transfers,
            "currencies": [
                {
                    "currency": totals.currency,
                    "debits_posted": totals.debits_posted,
                    "credits_posted": totals.credits_posted,
                    "debits_pending": totals.debits_pending,
                    "credits_pending": totals.credits_pending,
                }
                for totals in self.currencies
            ],
            "problems": list(self.problems),
        }
