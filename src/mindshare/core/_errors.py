"""The one exception root of Mindshare, and the tree below it.

MindshareError
├── ConfigurationError      settings or world configuration that cannot work
├── StoreError              the store cannot be reached, created or migrated
├── NotFound                a named world, person, creator or item does not exist
├── InputError              input that cannot be read at all (a whole file or request)
│   ├── UnreadableFile      a file that does not exist or is not in the stated format
│   └── PeriodOverlap       a period to settle overlaps one already settled
└── LedgerError             a ledger operation broke a rule; nothing was written
    ├── InvalidTransfer             the transfer itself is malformed (amount, accounts, currency)
    ├── AccountNotFound             a transfer or query names an account that does not exist
    ├── AccountClosed               a new transfer names a closed account
    ├── CurrencyMismatch            the transfer's and an account's currencies differ
    ├── ExceedsCredits              a debits-must-not-exceed-credits account would go negative
    ├── ExceedsDebits               a credits-must-not-exceed-debits account would go positive
    ├── AccountConflict             an account id already exists with a different body
    ├── TransferConflict            a transfer id already exists with a different body
    ├── PendingTransferNotFound     post or void of a transfer that is not a pending one
    ├── PendingTransferVoided       post of a pending transfer already voided
    ├── PendingTransferPosted       void of a pending transfer already posted
    ├── PendingTransferExpired      post of a pending transfer past its timeout
    ├── LinkedTransferFailed        another transfer of the same linked batch failed
    └── Overflow                    a balance would leave the 64-bit range

A single bad *record* is never an exception: it is rejected with a reason and kept.
"""


class MindshareError(Exception):
    """Root of every error Mindshare raises on purpose."""


class ConfigurationError(MindshareError):
    """Settings or a world's configuration that cannot work."""


class StoreError(MindshareError):
    """The store cannot be reached, created or migrated."""


class NotFound(MindshareError):
    """A named world, person, creator or item does not exist."""


class InputError(MindshareError):
    """Input that cannot be read at all, as a whole."""


class InfeasibleAllocation(InputError):
    """Allocation constraints that no allocation can meet; the message says which, by how much."""


class PeriodOverlap(InputError):
    """A period to settle overlaps a different period already settled (or planned)."""


class UnreadableFile(InputError):
    """A file that does not exist, cannot be opened, or is not in the stated format."""


class LedgerError(MindshareError):
    """A ledger operation broke a rule; nothing of it was written.

    ``rule`` is a stable snake_case name of the rule (for programs and the CLI's JSON)
    and ``subject`` the id of the transfer or account it concerns, when there is one.
    """

    rule = "ledger_error"

    def __init__(self, message: str, *, subject: str | None = None) -> None:
        super().__init__(message)
        self.subject = subject


class InvalidTransfer(LedgerError):
    """The transfer is malformed: amount, accounts or currency."""

    rule = "invalid_transfer"


class AccountNotFound(LedgerError, NotFound):
    """A transfer or query names an account that does not exist."""

    rule = "account_not_found"


class AccountClosed(LedgerError):
    """A new transfer names a closed account."""

    rule = "account_closed"


class CurrencyMismatch(LedgerError):
    """The transfer's and an account's currencies differ."""

    rule = "currency_mismatch"


class ExceedsCredits(LedgerError):
    """An account flagged debits-must-not-exceed-credits would be overdrawn."""

    rule = "exceeds_credits"


class ExceedsDebits(LedgerError):
    """An account flagged credits-must-not-exceed-debits would be over-credited."""

    rule = "exceeds_debits"


class AccountConflict(LedgerError):
    """An account id already exists with a different body."""

    rule = "account_conflict"


class TransferConflict(LedgerError):
    """A transfer id already exists with a different body."""

    rule = "transfer_conflict"


class PendingTransferNotFound(LedgerError):
    """Post or void of an id that is not a pending transfer."""

    rule = "pending_transfer_not_found"


class PendingTransferVoided(LedgerError):
    """Post of a pending transfer that was already voided (or expired and was voided)."""

    rule = "pending_transfer_voided"


class PendingTransferPosted(LedgerError):
    """Void of a pending transfer that was already posted."""

    rule = "pending_transfer_posted"


class PendingTransferExpired(LedgerError):
    """Post of a pending transfer past its timeout: it can only be voided."""

    rule = "pending_transfer_expired"


class LinkedTransferFailed(LedgerError):
    """Another transfer of the same linked batch failed, so this one was not written."""

    rule = "linked_transfer_failed"


class Overflow(LedgerError):
    """A balance would leave the signed 64-bit range a database column holds."""

    rule = "overflow"
