"""The rules of the ledger, on balances held in memory: the one place they are written.

Each function checks one transfer against the accounts it names and, only when every
rule holds, changes their balances; a broken rule raises its ``LedgerError`` and
changes nothing. The journal writer (``_ledger``) and the audit's replay both use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import compress, filterfalse
from operator import attrgetter, eq
from typing import Any, NamedTuple

from mindshare.core import (
    AccountClosed,
    AccountNotFound,
    CurrencyMismatch,
    ExceedsCredits,
    ExceedsDebits,
    InvalidTransfer,
    Overflow,
    PendingTransferExpired,
    PendingTransferPosted,
    PendingTransferVoided,
    is_currency_code,
)
from mindshare.ledger._types import (
    CREDITS_MUST_NOT_EXCEED_DEBITS,
    DEBITS_MUST_NOT_EXCEED_CREDITS,
    INT64_MAX,
    Transfer,
)

#: Journal phases: a plain transfer, a pending one, the post or the void of a pending one.
PLAIN, PENDING, POST, VOID = 0, 1, 2, 3
MAX_ID_LENGTH = 128
MAX_USER_DATA_LENGTH = 256


class AccountState:
    """An account's balances while a batch is checked; written back when the batch commits."""

    __slots__ = (
        "account_id",
        "closed",
        "credits_pending",
        "credits_posted",
        "currency",
        "debits_pending",
        "debits_posted",
        "flags",
        "key",
    )

    def __init__(
        self,
        account_id: str,
        currency: str,
        flags: int,
        closed: bool,
        debits_pending: int = 0,
        debits_posted: int = 0,
        credits_pending: int = 0,
        credits_posted: int = 0,
        key: int = 0,
    ) -> None:
        self.key = key
        self.account_id = account_id
        self.currency = currency
        self.flags = flags
        self.closed = closed
        self.debits_pending = debits_pending
        self.debits_posted = debits_posted
        self.credits_pending = credits_pending
        self.credits_posted = credits_posted

    def balances(self) -> tuple[int, int, int, int]:
        """Debits pending and posted, credits pending and posted."""
        return (self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted)


class JournalEntry(NamedTuple):
    """A transfer as the journal holds it (the body an id's idempotency is judged by).

    A named tuple, not a dataclass: the write path makes one per transfer and hands it
    to the driver as the row itself.
    """

    transfer_id: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    currency: str
    code: int
    user_data: str | None
    phase: int
    pending_id: str | None
    timeout_ms: int | None
    timestamp_ms: int

    def same_body(self, other: JournalEntry) -> bool:
        """Equal in everything the caller chose (not the ledger's timestamp)."""
        return (
            self.debit_account_id == other.debit_account_id
            and self.credit_account_id == other.credit_account_id
            and self.amount == other.amount
            and self.currency == other.currency
            and self.code == other.code
            and self.user_data == other.user_data
            and self.phase == other.phase
            and self.pending_id == other.pending_id
            and self.timeout_ms == other.timeout_ms
        )

    @property
    def expires_ms(self) -> int | None:
        """When a pending transfer with a timeout stops being postable."""
        if self.phase != PENDING or self.timeout_ms is None:
            return None
        return self.timestamp_ms + self.timeout_ms


def journal_entry(transfer: Transfer, timestamp_ms: int) -> JournalEntry:
    """The journal row of a new plain or pending transfer; InvalidTransfer if malformed."""
    transfer_id = transfer.id
    if type(transfer_id) is not str or not 0 < len(transfer_id) <= MAX_ID_LENGTH:
        _check_id(transfer_id, "transfer id")
    amount = transfer.amount
    if type(amount) is not int:
        raise InvalidTransfer(
            f"transfer {transfer.id!r}: the amount must be an integer count of minor units, "
            f"not {amount!r}",
            subject=transfer.id,
        )
    if amount <= 0:
        raise InvalidTransfer(
            f"transfer {transfer.id!r}: the amount must be positive, not {amount}",
            subject=transfer.id,
        )
    if amount > INT64_MAX:
        raise Overflow(
            f"transfer {transfer.id!r}: the amount {amount} exceeds the largest balance, "
            f"{INT64_MAX}",
            subject=transfer.id,
        )
    if transfer.debit_account_id == transfer.credit_account_id:
        raise InvalidTransfer(
            f"transfer {transfer.id!r}: a transfer to itself ({transfer.debit_account_id!r} "
            "on both sides) moves nothing",
            subject=transfer.id,
        )
    if transfer.currency not in _KNOWN_CURRENCIES and not _currency(transfer.currency):
        raise InvalidTransfer(
            f"transfer {transfer.id!r}: {transfer.currency!r} is not a currency code",
            subject=transfer.id,
        )
    if type(transfer.code) is not int:
        raise InvalidTransfer(
            f"transfer {transfer.id!r}: the code must be an integer", subject=transfer.id
        )
    if transfer.user_data is not None and len(transfer.user_data) > MAX_USER_DATA_LENGTH:
        raise InvalidTransfer(
            f"transfer {transfer.id!r}: user data is longer than {MAX_USER_DATA_LENGTH}",
            subject=transfer.id,
        )
    if transfer.timeout_ms is not None:
        if not transfer.pending:
            raise InvalidTransfer(
                f"transfer {transfer.id!r}: only a pending transfer has a timeout",
                subject=transfer.id,
            )
        if isinstance(transfer.timeout_ms, bool) or not (
            isinstance(transfer.timeout_ms, int) and transfer.timeout_ms > 0
        ):
            raise InvalidTransfer(
                f"transfer {transfer.id!r}: the timeout must be a positive number of ms",
                subject=transfer.id,
            )
    return JournalEntry(
        transfer.id,
        transfer.debit_account_id,
        transfer.credit_account_id,
        amount,
        transfer.currency,
        transfer.code,
        transfer.user_data,
        PENDING if transfer.pending else PLAIN,
        None,
        transfer.timeout_ms,
        timestamp_ms,
    )


#: Currency codes already seen valid, so the regular expression runs once per code.
_KNOWN_CURRENCIES: set[str] = set()


def _currency(code: object) -> bool:
    if isinstance(code, str) and is_currency_code(code):
        if len(_KNOWN_CURRENCIES) < 10_000:
            _KNOWN_CURRENCIES.add(code)
        return True
    return False


def resolution_id(pending_id: str, post: bool) -> str:
    """The transfer id of the journal row that posts (or voids) ``pending_id``."""
    return f"{pending_id}:{'post' if post else 'void'}"


def resolution_entry(pending: JournalEntry, post: bool, timestamp_ms: int) -> JournalEntry:
    """The journal row that posts or voids ``pending``, with an id derived from it."""
    return JournalEntry(
        resolution_id(pending.transfer_id, post),
        pending.debit_account_id,
        pending.credit_account_id,
        pending.amount,
        pending.currency,
        pending.code,
        pending.user_data,
        POST if post else VOID,
        pending.transfer_id,
        None,
        timestamp_ms,
    )


def apply_new(entry: JournalEntry, debit: AccountState | None, credit: AccountState | None) -> None:
    """Check a plain or pending transfer against its accounts, then apply it."""
    if debit is None or credit is None:
        debit, credit = _require_accounts(entry, debit, credit)
    if debit.closed or credit.closed:
        closed = debit if debit.closed else credit
        raise AccountClosed(
            f"transfer {entry.transfer_id!r}: account {closed.account_id!r} is closed",
            subject=entry.transfer_id,
        )
    if debit.currency != entry.currency or credit.currency != entry.currency:
        other = debit if debit.currency != entry.currency else credit
        raise CurrencyMismatch(
            f"transfer {entry.transfer_id!r} is in {entry.currency}, account "
            f"{other.account_id!r} in {other.currency}",
            subject=entry.transfer_id,
        )
    amount = entry.amount
    if debit.flags & DEBITS_MUST_NOT_EXCEED_CREDITS and (
        debit.debits_posted + debit.debits_pending + amount > debit.credits_posted
    ):
        raise ExceedsCredits(
            f"transfer {entry.transfer_id!r}: account {debit.account_id!r} has "
            f"{debit.credits_posted - debit.debits_posted - debit.debits_pending} available, "
            f"{amount} asked (its debits must not exceed its credits)",
            subject=entry.transfer_id,
        )
    if credit.flags & CREDITS_MUST_NOT_EXCEED_DEBITS and (
        credit.credits_posted + credit.credits_pending + amount > credit.debits_posted
    ):
        raise ExceedsDebits(
            f"transfer {entry.transfer_id!r}: account {credit.account_id!r} may take "
            f"{credit.debits_posted - credit.credits_posted - credit.credits_pending} more, "
            f"{amount} given (its credits must not exceed its debits)",
            subject=entry.transfer_id,
        )
    if entry.phase == PENDING:
        _check_overflow(entry, debit.debits_pending, credit.credits_pending)
        debit.debits_pending += amount
        credit.credits_pending += amount
    else:
        _check_overflow(entry, debit.debits_posted, credit.credits_posted)
        debit.debits_posted += amount
        credit.credits_posted += amount


class TransferColumns(NamedTuple):
    """A batch of transfers column by column (``TransferColumns._make(zip(*transfers))``).

    The columns are whatever the caller passed: ``apply_batch`` checks every value.
    """

    id: tuple[Any, ...]
    debit_account_id: tuple[Any, ...]
    credit_account_id: tuple[Any, ...]
    amount: tuple[Any, ...]
    currency: tuple[Any, ...]
    code: tuple[Any, ...]
    user_data: tuple[Any, ...]
    pending: tuple[Any, ...]
    timeout_ms: tuple[Any, ...]


def apply_batch(
    columns: TransferColumns,
    accounts: Mapping[str, AccountState],
    *,
    account_ids: set[str] | None = None,
) -> list[AccountState] | None:
    """Apply a whole batch of new transfers at once, if it provably breaks no rule.

    The same rules as ``journal_entry`` and ``apply_new`` one transfer after another,
    checked column by column and account by account instead, with a flag judged on the
    batch's total debits (or credits) against the account's balances before the batch:
    a sufficient condition, since within the batch the other side only grows. Returns
    the accounts it changed, or None, having changed nothing, when a transfer is
    malformed or might break a rule, or when it cannot tell: then ``apply_new``, one
    transfer at a time, decides exactly. ``account_ids``, if given, are the ids the
    batch names (the caller needed them to find ``accounts``).
    """
    try:
        if not _well_formed(columns):
            return None
        if account_ids is None:
            account_ids = set(columns.debit_account_id).union(columns.credit_account_id)
    except TypeError:  # an unhashable or unsized value: a malformed transfer
        return None
    if not account_ids <= accounts.keys():
        return None
    if any(map(eq, columns.debit_account_id, columns.credit_account_id)):
        return None
    states = [accounts[account_id] for account_id in account_ids]
    if any(map(_closed, states)):
        return None
    currencies = set(columns.currency)
    if len(currencies) == 1:
        if set(map(_currency_of, states)) != currencies:
            return None
    else:
        for side in (columns.debit_account_id, columns.credit_account_id):
            if list(map(_currency_of, map(accounts.__getitem__, side))) != list(columns.currency):
                return None
    pending, amounts = columns.pending, columns.amount
    debits, credits = columns.debit_account_id, columns.credit_account_id
    debited = debited_posted = _sums(debits, amounts)
    credited = credited_posted = _sums(credits, amounts)
    debited_pending: dict[str, int] = {}
    credited_pending: dict[str, int] = {}
    if any(pending):
        plain = [not p for p in pending]
        debited_pending = _sums(compress(debits, pending), compress(amounts, pending))
        credited_pending = _sums(compress(credits, pending), compress(amounts, pending))
        debited_posted = _sums(compress(debits, plain), compress(amounts, plain))
        credited_posted = _sums(compress(credits, plain), compress(amounts, plain))
    if not _within_limits(debited, accounts, debit_side=True):
        return None
    if not _within_limits(credited, accounts, debit_side=False):
        return None
    for account_id, amount in debited_posted.items():
        accounts[account_id].debits_posted += amount
    for account_id, amount in debited_pending.items():
        accounts[account_id].debits_pending += amount
    for account_id, amount in credited_posted.items():
        accounts[account_id].credits_posted += amount
    for account_id, amount in credited_pending.items():
        accounts[account_id].credits_pending += amount
    return states


def _within_limits(
    totals: Mapping[str, int], accounts: Mapping[str, AccountState], *, debit_side: bool
) -> bool:
    """Whether each account can take its batch total on one side, as ``apply_new`` judges it.

    The side's posted and pending balances must stay within 64 bits, and a flagged account
    must keep that side within the other side's posted balance before the batch (each
    balance only grows within the batch, so its final value is its largest).
    """
    flag = DEBITS_MUST_NOT_EXCEED_CREDITS if debit_side else CREDITS_MUST_NOT_EXCEED_DEBITS
    for account_id, total in totals.items():
        state = accounts[account_id]
        if debit_side:
            posted, pending = state.debits_posted, state.debits_pending
            other = state.credits_posted
        else:
            posted, pending = state.credits_posted, state.credits_pending
            other = state.debits_posted
        if (
            posted + total > INT64_MAX
            or pending + total > INT64_MAX
            or (state.flags & flag and posted + pending + total > other)
        ):
            return False
    return True


def batch_phases(columns: TransferColumns) -> Iterable[int]:
    """The journal phase of each transfer of a batch ``apply_batch`` accepted."""
    if not any(columns.pending):
        return [PLAIN] * len(columns.pending)
    return [PENDING if pending else PLAIN for pending in columns.pending]


def _well_formed(columns: TransferColumns) -> bool:
    """Every transfer passes ``journal_entry``'s checks (stricter on types: exact ones)."""
    ids, amounts = columns.id, columns.amount
    if set(map(type, ids)) != {str} or set(map(type, amounts)) != {int}:
        return False
    if set(map(type, columns.code)) != {int}:
        return False
    lengths = list(map(len, ids))
    if min(lengths) == 0 or max(lengths) > MAX_ID_LENGTH:
        return False
    if min(amounts) <= 0 or max(amounts) > INT64_MAX:
        return False
    if not all(code in _KNOWN_CURRENCIES or _currency(code) for code in set(columns.currency)):
        return False
    user_data = columns.user_data
    if user_data.count(None) != len(user_data) and not all(
        type(data) is str and len(data) <= MAX_USER_DATA_LENGTH
        for data in filterfalse(_is_none, user_data)
    ):
        return False
    timeouts = columns.timeout_ms
    return timeouts.count(None) == len(timeouts) or all(
        timeout is None or (pending and type(timeout) is int and timeout > 0)
        for pending, timeout in zip(columns.pending, timeouts, strict=True)
    )


_closed = attrgetter("closed")
_currency_of = attrgetter("currency")


def _is_none(value: object) -> bool:
    return value is None


def _sums(keys: Iterable[str], amounts: Iterable[int]) -> dict[str, int]:
    """Each key's total amount."""
    sums: dict[str, int] = {}
    get = sums.get
    for key, amount in zip(keys, amounts, strict=True):
        sums[key] = get(key, 0) + amount
    return sums


def apply_resolution(
    pending: JournalEntry,
    resolved_by: int | None,
    post: bool,
    debit: AccountState | None,
    credit: AccountState | None,
    now_ms: int,
) -> None:
    """Check the post (or void) of ``pending`` and apply it.

    ``resolved_by`` is the phase of the row that already resolved it, if any; a
    resolution of the same kind is idempotent and the caller treats it as existing.
    """
    if resolved_by == VOID and post:
        raise PendingTransferVoided(
            f"pending transfer {pending.transfer_id!r} was voided: it cannot be posted",
            subject=pending.transfer_id,
        )
    if resolved_by == POST and not post:
        raise PendingTransferPosted(
            f"pending transfer {pending.transfer_id!r} was posted: it cannot be voided",
            subject=pending.transfer_id,
        )
    expires_ms = pending.expires_ms
    if post and expires_ms is not None and now_ms >= expires_ms:
        raise PendingTransferExpired(
            f"pending transfer {pending.transfer_id!r} timed out at {expires_ms} ms: "
            "it can only be voided",
            subject=pending.transfer_id,
        )
    debit, credit = _require_accounts(pending, debit, credit)
    if post:
        _check_overflow(pending, debit.debits_posted, credit.credits_posted)
    amount = pending.amount
    debit.debits_pending -= amount
    credit.credits_pending -= amount
    if post:
        debit.debits_posted += amount
        credit.credits_posted += amount


def replay(entry: JournalEntry, debit: AccountState, credit: AccountState) -> None:
    """Apply a journal row already accepted, without checks: the audit's recomputation."""
    amount = entry.amount
    if entry.phase == PLAIN:
        debit.debits_posted += amount
        credit.credits_posted += amount
    elif entry.phase == PENDING:
        debit.debits_pending += amount
        credit.credits_pending += amount
    else:
        debit.debits_pending -= amount
        credit.credits_pending -= amount
        if entry.phase == POST:
            debit.debits_posted += amount
            credit.credits_posted += amount


def broken_flag(account: AccountState) -> str | None:
    """The flag an account's balances break, or None; pending debits count as spent."""
    if account.flags & DEBITS_MUST_NOT_EXCEED_CREDITS and (
        account.debits_posted + account.debits_pending > account.credits_posted
    ):
        return "debits_must_not_exceed_credits"
    if account.flags & CREDITS_MUST_NOT_EXCEED_DEBITS and (
        account.credits_posted + account.credits_pending > account.debits_posted
    ):
        return "credits_must_not_exceed_debits"
    return None


def _require_accounts(
    entry: JournalEntry, debit: AccountState | None, credit: AccountState | None
) -> tuple[AccountState, AccountState]:
    for side, account, account_id in (
        ("debit", debit, entry.debit_account_id),
        ("credit", credit, entry.credit_account_id),
    ):
        if account is None:
            raise AccountNotFound(
                f"transfer {entry.transfer_id!r}: the {side} account {account_id!r} does not exist",
                subject=entry.transfer_id,
            )
    assert debit is not None
    assert credit is not None
    return debit, credit


def _check_overflow(entry: JournalEntry, debit_sum: int, credit_sum: int) -> None:
    if max(debit_sum, credit_sum) + entry.amount > INT64_MAX:
        raise Overflow(
            f"transfer {entry.transfer_id!r}: a balance would exceed {INT64_MAX}",
            subject=entry.transfer_id,
        )


def _check_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise InvalidTransfer(
            f"the {what} must be a non-empty string of at most {MAX_ID_LENGTH} characters, "
            f"not {value!r}",
            subject=value if isinstance(value, str) else None,
        )
