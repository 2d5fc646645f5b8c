"""The double-entry ledger: accounts, transfers, two-phase and linked transfers, audit.

The only writer of balances. Modelled on TigerBeetle: integer amounts, one currency per
transfer, flags that keep an account from going negative, linked batches that commit
all-or-nothing, pending transfers posted or voided (or voided by timeout), and ids that
make every write idempotent. Errors are the ``LedgerError`` tree of ``mindshare.core``.
"""

from mindshare.core import (
    AccountClosed,
    AccountConflict,
    AccountNotFound,
    CurrencyMismatch,
    ExceedsCredits,
    ExceedsDebits,
    InvalidTransfer,
    LedgerError,
    LinkedTransferFailed,
    Overflow,
    PendingTransferExpired,
    PendingTransferNotFound,
    PendingTransferPosted,
    PendingTransferVoided,
    TransferConflict,
)
from mindshare.ledger._ledger import DEFAULT_WORLD, Ledger
from mindshare.ledger._rules import JournalEntry
from mindshare.ledger._types import (
    Account,
    AccountKind,
    AccountResult,
    AuditReport,
    Balance,
    CurrencyTotals,
    Transfer,
    TransferResult,
    TransferResults,
)

__all__ = [
    "DEFAULT_WORLD",
    "Account",
    "AccountClosed",
    "AccountConflict",
    "AccountKind",
    "AccountNotFound",
    "AccountResult",
    "AuditReport",
    "Balance",
    "CurrencyMismatch",
    "CurrencyTotals",
    "ExceedsCredits",
    "ExceedsDebits",
    "InvalidTransfer",
    "JournalEntry",
    "Ledger",
    "LedgerError",
    "LinkedTransferFailed",
    "Overflow",
    "PendingTransferExpired",
    "PendingTransferNotFound",
    "PendingTransferPosted",
    "PendingTransferVoided",
    "Transfer",
    "TransferConflict",
    "TransferResult",
    "TransferResults",
]
