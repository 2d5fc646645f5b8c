"""The ledger of one world: the only writer of balances, on SQLite or PostgreSQL.

A batch is checked in memory against its accounts' balances (``_rules``) inside one
transaction that holds those accounts: SQLite's write lock (``BEGIN IMMEDIATE``) or
PostgreSQL row locks (``SELECT … FOR UPDATE``). The journal rows and the new balances
are then written together, so a crash leaves either the whole batch or none of it.

A batch of new transfers is first checked whole (``_rules.apply_batch``: each account's
total against its balance), and one transfer at a time (``apply_new``) only when that
cannot prove every rule holds: the answer is the same, the common case cheaper.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain, islice, repeat
from operator import attrgetter
from types import TracebackType
from typing import Any, TypeVar, cast

import sqlalchemy as sa

from mindshare.core import (
    AccountConflict,
    AccountNotFound,
    InvalidTransfer,
    LedgerError,
    LinkedTransferFailed,
    PendingTransferNotFound,
    TransferConflict,
    is_currency_code,
)
from mindshare.ledger._audit import audit_journal
from mindshare.ledger._rules import (
    MAX_ID_LENGTH,
    PENDING,
    POST,
    VOID,
    AccountState,
    JournalEntry,
    TransferColumns,
    apply_batch,
    apply_new,
    apply_resolution,
    batch_phases,
    journal_entry,
    resolution_entry,
    resolution_id,
)
from mindshare.ledger._types import (
    ACCOUNT_KINDS,
    Account,
    AccountResult,
    AuditReport,
    Balance,
    Transfer,
    TransferResult,
    TransferResults,
)
from mindshare.store import connect, insert_many, ledger_transfers, require_current

DEFAULT_WORLD = "default"
_T = TypeVar("_T")
#: A PostgreSQL batch that lost a race (deadlock, a duplicate id committed meanwhile)
#: is retried from the start this many times; its checks then see the winner's rows.
MAX_ATTEMPTS = 50
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "23505"})
_JOURNAL_COLUMNS = (
    "world_id",
    "transfer_id",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "code",
    "user_data",
    "phase",
    "pending_id",
    "timeout_ms",
    "timestamp_ms",
)
_ENTRY_COLUMNS = ", ".join(_JOURNAL_COLUMNS[1:])
_ACCOUNT_COLUMNS = (
    "a.account_id, a.currency, a.flags, a.closed, "
    "b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted"
)
_ACCOUNTS = "ledger_accounts a JOIN ledger_balances b ON b.account_key = a.account_key"
#: Ids per ``IN (…)`` list: well inside SQLite's 32,766 bound parameters.
_CHUNK = 4000
#: Rows per multi-row ``INSERT … VALUES`` on SQLite (fewer if its parameter limit is lower):
#: one statement for hundreds of rows costs SQLite about half what one per row does. A
#: remainder goes in statements of 256, 128, … rows, so that a few statements, prepared
#: once, serve batches of every size (parsing one of hundreds of rows costs as much).
_ROWS_PER_STATEMENT = 512
_INSERT_JOURNAL = f"INSERT INTO ledger_transfers ({', '.join(_JOURNAL_COLUMNS)}) VALUES "
#: Every balance row exists (it is made with its account), so this upsert only updates.
_UPSERT_BALANCES = (
    "INSERT INTO ledger_balances (account_key, debits_pending, debits_posted, "
    "credits_pending, credits_posted) VALUES "
)
_UPSERT_BALANCES_SET = (
    " ON CONFLICT (account_key) DO UPDATE SET debits_pending = excluded.debits_pending, "
    "debits_posted = excluded.debits_posted, credits_pending = excluded.credits_pending, "
    "credits_posted = excluded.credits_posted"
)
_BALANCE_COLUMNS = ("key", "debits_pending", "debits_posted", "credits_pending", "credits_posted")
_BALANCE_ROW = attrgetter(*_BALANCE_COLUMNS)
#: ``TransferResult`` made in C from a 4-tuple, for the tens of thousands a second of a
#: batch written whole (a named tuple's own constructor is Python code).
_result_of = partial(tuple.__new__, TransferResult)


class _Fallback(Exception):
    """The optimistic write path met something it leaves to the full one."""


@dataclass(frozen=True, slots=True)
class _Resolve:
    """Post (or void) the pending transfer ``pending_id``."""

    pending_id: str
    post: bool


def _system_clock() -> int:
    return time.time_ns() // 1_000_000


class Ledger:
    """Accounts and transfers of one world, with TigerBeetle's invariants.

    Money is never created or lost: every transfer debits one account and credits
    another by the same integer amount in the same currency; a flagged account never
    goes below zero (or above); an id is written once, and a retry with the same body
    returns the first result.
    """

    def __init__(
        self,
        engine: sa.Engine,
        world_id: str = DEFAULT_WORLD,
        *,
        clock: Callable[[], int] = _system_clock,
        owns_engine: bool = False,
    ) -> None:
        self._engine = engine
        self.world_id = world_id
        self._clock = clock
        self._owns_engine = owns_engine
        self._postgres = engine.dialect.name == "postgresql"
        self._marker = "%s" if self._postgres else "?"

    @classmethod
    def open(
        cls,
        database_url: str,
        *,
        world_id: str = DEFAULT_WORLD,
        clock: Callable[[], int] = _system_clock,
    ) -> Ledger:
        """The ledger of ``world_id`` in the store at ``database_url`` (`mindshare init` first)."""
        engine = connect(database_url)
        try:
            require_current(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, world_id, clock=clock, owns_engine=True)

    def close(self) -> None:
        """Release the connections of a ledger made by ``open``."""
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- accounts ---------------------------------------------------------------------

    def create_accounts(self, accounts: Iterable[Account]) -> tuple[AccountResult, ...]:
        """Create accounts; an existing id with the same body is ``exists``, else a conflict."""
        accounts = list(accounts)
        checked: list[Account | LedgerError] = [_checked_account(a) for a in accounts]
        ids = [a.id for a in accounts if isinstance(a, Account)]
        now = self._clock()

        def attempt(
            connection: sa.Connection, _cache: _AccountCache | None
        ) -> tuple[AccountResult, ...]:
            m = self._marker
            existing: dict[str, tuple[Any, ...]] = {
                row[0]: tuple(row)
                for row in self._select_in(
                    connection,
                    "SELECT account_id, owner, kind, currency, flags FROM ledger_accounts "
                    "WHERE world_id = {m} AND account_id ",
                    ids,
                )
            }
            results: list[AccountResult] = []
            new_rows: list[tuple[Any, ...]] = []
            for account, check in zip(accounts, checked, strict=True):
                if isinstance(check, LedgerError):
                    results.append(AccountResult(str(account.id), "failed", check))
                    continue
                body = (account.id, account.owner, account.kind, account.currency, account.flags)
                if account.id in existing:
                    if tuple(existing[account.id]) == body:
                        results.append(AccountResult(account.id, "exists"))
                    else:
                        results.append(
                            AccountResult(
                                account.id,
                                "failed",
                                AccountConflict(
                                    f"account {account.id!r} exists with a different owner, "
                                    "kind, currency or flags",
                                    subject=account.id,
                                ),
                            )
                        )
                    continue
                existing[account.id] = body
                new_rows.append((self.world_id, *body, False, now))
                results.append(AccountResult(account.id, "created"))
            if new_rows:
                markers = ", ".join([self._marker] * 8)
                connection.exec_driver_sql(
                    "INSERT INTO ledger_accounts (world_id, account_id, owner, kind, currency, "
                    f"flags, closed, created_ms) VALUES ({markers})",
                    new_rows,
                )
                keys = self._select_in(
                    connection,
                    "SELECT account_key FROM ledger_accounts WHERE world_id = {m} AND account_id ",
                    [row[1] for row in new_rows],
                )
                connection.exec_driver_sql(
                    "INSERT INTO ledger_balances (account_key, debits_pending, debits_posted, "
                    f"credits_pending, credits_posted) VALUES ({m}, 0, 0, 0, 0)",
                    [(row[0],) for row in keys],
                )
            return tuple(results)

        return self._in_write_transaction(attempt)

    def close_account(self, account_id: str) -> None:
        """Refuse new transfers to or from the account; pending ones may still resolve."""

        def attempt(connection: sa.Connection, cache: _AccountCache | None) -> None:
            if cache is not None:
                cache.pop(self.world_id, account_id)
            m = self._marker
            updated = connection.exec_driver_sql(
                f"UPDATE ledger_accounts SET closed = {m} "
                f"WHERE world_id = {m} AND account_id = {m}",
                (True, self.world_id, account_id),
            )
            if updated.rowcount == 0:
                raise AccountNotFound(f"account {account_id!r} does not exist", subject=account_id)

        self._in_write_transaction(attempt)

    def balance(self, account_id: str) -> Balance:
        """The account's four balances as of the last committed batch."""
        with self._engine.connect() as connection:
            row = connection.exec_driver_sql(
                f"SELECT {_ACCOUNT_COLUMNS} FROM {_ACCOUNTS} "
                f"WHERE a.world_id = {self._marker} AND a.account_id = {self._marker}",
                (self.world_id, account_id),
            ).first()
        if row is None:
            raise AccountNotFound(f"account {account_id!r} does not exist", subject=account_id)
        return Balance(row[0], row[1], row[4], row[5], row[6], row[7], bool(row[3]))

    def accounts(self) -> list[tuple[Account, Balance]]:
        """Every account of the world with its balances, by id."""
        with self._engine.connect() as connection:
            rows = connection.exec_driver_sql(
                f"SELECT {_ACCOUNT_COLUMNS}, a.owner, a.kind FROM {_ACCOUNTS} "
                f"WHERE a.world_id = {self._marker} ORDER BY a.account_id",
                (self.world_id,),
            ).all()
        return [
            (
                Account(row[0], row[8], row[9], row[1], bool(row[2] & 1), bool(row[2] & 2)),
                Balance(row[0], row[1], row[4], row[5], row[6], row[7], bool(row[3])),
            )
            for row in rows
        ]

    def transfers(self, account_id: str | None = None, *, limit: int = 100) -> list[JournalEntry]:
        """The newest journal rows (of one account, if given), newest first."""
        m = self._marker
        where, params = f"world_id = {m}", [self.world_id]
        if account_id is not None:
            where += f" AND (debit_account_id = {m} OR credit_account_id = {m})"
            params += [account_id, account_id]
        with self._engine.connect() as connection:
            rows = connection.exec_driver_sql(
                f"SELECT {_ENTRY_COLUMNS} FROM ledger_transfers WHERE {where} "
                f"ORDER BY seq DESC LIMIT {int(limit)}",
                tuple(params),
            ).all()
        return [JournalEntry(*row) for row in rows]

    def audit(self) -> AuditReport:
        """Recompute every balance from the journal and check the ledger's invariants.

        Reads one consistent snapshot: a read transaction on SQLite, repeatable read on
        PostgreSQL, so batches committed meanwhile are either wholly in it or not at all.
        """
        options: dict[str, Any] = {"yield_per": 10_000}
        if self._postgres:
            options["isolation_level"] = "REPEATABLE READ"
        m = self._marker
        with self._engine.connect().execution_options(**options) as connection:
            if not self._postgres:
                connection.exec_driver_sql("BEGIN")
            stored = [
                AccountState(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7])
                for row in connection.exec_driver_sql(
                    f"SELECT {_ACCOUNT_COLUMNS} FROM {_ACCOUNTS} WHERE a.world_id = {m}",
                    (self.world_id,),
                )
            ]
            journal = (
                JournalEntry(*row)
                for row in connection.exec_driver_sql(
                    f"SELECT {_ENTRY_COLUMNS} FROM ledger_transfers WHERE world_id = {m} "
                    "ORDER BY seq",
                    (self.world_id,),
                )
            )
            return audit_journal(self.world_id, stored, journal)

    # -- transfers --------------------------------------------------------------------

    def create_transfers(
        self, transfers: Iterable[Transfer], *, linked: bool = False
    ) -> TransferResults:
        """Write transfers in order, one result each.

        Unlinked, each transfer stands alone: a failure skips only itself. ``linked``, the
        batch commits all-or-nothing: one failure fails them all and writes nothing.
        """
        return self._write(list(transfers), linked)

    def post_pending(self, transfer_id: str) -> TransferResult:
        """Move a pending transfer's reserved amount to posted; a repeat returns the first."""
        return self._write([_Resolve(transfer_id, post=True)], linked=False).raise_first_error()[0]

    def void_pending(self, transfer_id: str) -> TransferResult:
        """Release a pending transfer's reserved amount; a repeat returns the first."""
        return self._write([_Resolve(transfer_id, post=False)], linked=False).raise_first_error()[0]

    def void_expired(self) -> TransferResults:
        """Void every pending transfer whose timeout has passed; returns their results."""
        m = self._marker
        with self._engine.connect() as connection:
            rows = connection.exec_driver_sql(
                f"SELECT p.transfer_id FROM ledger_transfers p WHERE p.world_id = {m} "
                f"AND p.phase = {PENDING} AND p.timeout_ms IS NOT NULL "
                f"AND p.timestamp_ms + p.timeout_ms <= {m} AND NOT EXISTS ("
                f"SELECT 1 FROM ledger_transfers r WHERE r.world_id = p.world_id "
                "AND r.pending_id = p.transfer_id) ORDER BY p.seq",
                (self.world_id, self._clock()),
            ).all()
        return self._write([_Resolve(row[0], post=False) for row in rows], linked=False)

    # -- the write path ---------------------------------------------------------------

    def _write(self, operations: Sequence[Transfer | _Resolve], linked: bool) -> TransferResults:
        if not operations:
            return TransferResults()
        columns = _new_transfers(operations)
        if columns is not None:
            # New ids, most likely: let the journal's unique index find any repeat.
            try:
                return self._in_write_transaction(
                    lambda c, cache: self._write_batch(c, cache, operations, linked, columns)
                )
            except _Fallback:
                pass
        return self._in_write_transaction(
            lambda c, cache: self._write_batch(c, cache, operations, linked, None)
        )

    def _in_write_transaction(
        self, body: Callable[[sa.Connection, _AccountCache | None], _T]
    ) -> _T:
        """Run ``body`` in a write transaction, retried when PostgreSQL reports a lost race."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self._engine.connect() as connection:
                    cache = None
                    if not self._postgres:
                        # Take the write lock before reading balances, not at the first write.
                        connection.exec_driver_sql("BEGIN IMMEDIATE")
                        cache = _AccountCache.of(connection)
                    try:
                        result = body(connection, cache)
                        connection.commit()
                    except BaseException:
                        _AccountCache.drop(connection)
                        raise
                    return result
            except sa.exc.DBAPIError as error:
                sqlstate = getattr(error.orig, "sqlstate", None)
                if sqlstate in _RETRYABLE_SQLSTATES and attempt + 1 < MAX_ATTEMPTS:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_batch(
        self,
        connection: sa.Connection,
        cache: _AccountCache | None,
        operations: Sequence[Transfer | _Resolve],
        linked: bool,
        columns: TransferColumns | None,
    ) -> TransferResults:
        """Check every operation in order against balances in memory, then write the batch.

        Given the batch's ``columns`` (only transfers, with distinct ids) the journal is
        not searched for the ids first; a repeated id then fails the insert and
        ``_Fallback`` asks for a second pass that looks them up. Such a batch is first
        offered whole to ``apply_batch``, and checked one transfer at a time only if
        that cannot prove it breaks no rule.
        """
        now = self._clock()
        check_existing = columns is None
        if columns is not None:
            whole = self._write_whole_batch(connection, cache, columns, now)
            if whole is not None:
                return whole
        prepared: list[JournalEntry | _Resolve | LedgerError] = []
        pending_ids: list[str] = []
        account_ids: set[str] = set()
        for operation in operations:
            if type(operation) is _Resolve:
                prepared.append(operation)
                pending_ids.append(operation.pending_id)
                continue
            try:
                entry = journal_entry(operation, now)  # type: ignore[arg-type]
            except LedgerError as error:
                prepared.append(error)
                continue
            except (AttributeError, TypeError) as error:
                prepared.append(InvalidTransfer(f"not a transfer: {operation!r} ({error})"))
                continue
            prepared.append(entry)
            account_ids.add(entry.debit_account_id)
            account_ids.add(entry.credit_account_id)

        pendings = self._entries(connection, "transfer_id", pending_ids)
        for pending in pendings.values():
            account_ids.update((pending.debit_account_id, pending.credit_account_id))
        accounts = self._lock_accounts(connection, cache, account_ids)
        # A resolution's derived id may already name a caller's transfer: look it up too.
        existing = (
            self._entries(
                connection,
                "transfer_id",
                [
                    op.transfer_id
                    if isinstance(op, JournalEntry)
                    else resolution_id(op.pending_id, op.post)
                    for op in prepared
                    if isinstance(op, JournalEntry | _Resolve)
                ],
            )
            if check_existing
            else {}
        )
        resolutions = self._entries(connection, "pending_id", pending_ids)

        results: list[TransferResult] = []
        written: list[JournalEntry] = []
        touched: dict[str, AccountState] = {}
        failure: int | None = None
        for index, op in enumerate(prepared):
            try:
                if type(op) is JournalEntry:
                    stored = existing.get(op.transfer_id)
                    if stored is not None:
                        if not stored.same_body(op):
                            raise TransferConflict(
                                f"transfer {op.transfer_id!r} exists with a different body",
                                subject=op.transfer_id,
                            )
                        results.append(
                            TransferResult(op.transfer_id, "exists", stored.timestamp_ms)
                        )
                        continue
                    debit = accounts.get(op.debit_account_id)
                    credit = accounts.get(op.credit_account_id)
                    apply_new(op, debit, credit)
                    existing[op.transfer_id] = op
                    if op.phase == PENDING:
                        pendings[op.transfer_id] = op
                    entry = op
                elif isinstance(op, _Resolve):
                    entry, created = self._resolve(
                        op, pendings, resolutions, existing, accounts, now
                    )
                    if not created:
                        results.append(
                            TransferResult(entry.transfer_id, "exists", entry.timestamp_ms)
                        )
                        continue
                    assert entry.pending_id is not None
                    resolutions[entry.pending_id] = entry
                    debit = accounts[entry.debit_account_id]
                    credit = accounts[entry.credit_account_id]
                else:
                    raise cast(LedgerError, op)
                written.append(entry)
                touched[entry.debit_account_id] = debit  # type: ignore[assignment]
                touched[entry.credit_account_id] = credit  # type: ignore[assignment]
                results.append(TransferResult(entry.transfer_id, "created", now))
            except LedgerError as error:
                if not check_existing:
                    # The id may be in the journal already: a repeat is ``exists`` (or a
                    # conflict) whatever the rules would say of it now.
                    raise _Fallback from None
                results.append(
                    TransferResult(_operation_id(operations[index]), "failed", None, error)
                )
                if linked:
                    failure = index
                    break

        if failure is not None:
            if cache is not None:
                cache.clear()  # the batch's accounts were changed in memory before it failed
            return _failed_linked_batch(operations, failure, results[failure])
        if written:
            rows = [(self.world_id, *entry) for entry in written]
            self._insert_journal(connection, rows, len(rows), check_existing)
            self._store_balances(connection, list(touched.values()))
        return TransferResults(results)

    def _write_whole_batch(
        self,
        connection: sa.Connection,
        cache: _AccountCache | None,
        columns: TransferColumns,
        now: int,
    ) -> TransferResults | None:
        """Write a batch of new transfers at once if ``apply_batch`` accepts it, else None."""
        try:
            account_ids = set(columns.debit_account_id).union(columns.credit_account_id)
        except TypeError:
            return None
        accounts = self._lock_accounts(connection, cache, account_ids)
        changed = apply_batch(columns, accounts, account_ids=account_ids)
        if changed is None:
            return None
        rows = zip(
            repeat(self.world_id),
            columns.id,
            columns.debit_account_id,
            columns.credit_account_id,
            columns.amount,
            columns.currency,
            columns.code,
            columns.user_data,
            batch_phases(columns),
            repeat(None),
            columns.timeout_ms,
            repeat(now),
        )
        self._insert_journal(connection, rows, len(columns.id), check_existing=False)
        self._store_balances(connection, changed)
        return TransferResults(
            map(_result_of, zip(columns.id, repeat("created"), repeat(now), repeat(None)))
        )

    def _insert_journal(
        self,
        connection: sa.Connection,
        rows: Iterable[Sequence[Any]],
        count: int,
        check_existing: bool,
    ) -> None:
        """Append ``count`` rows to the journal.

        A repeated id is ``_Fallback`` unless the ids were looked up first.
        """
        try:
            if self._postgres:
                insert_many(connection, ledger_transfers, _JOURNAL_COLUMNS, list(rows))
            else:
                _insert_values(
                    connection,
                    _INSERT_JOURNAL,
                    chain.from_iterable(rows),
                    width=len(_JOURNAL_COLUMNS),
                    count=count,
                )
        except sa.exc.IntegrityError:
            if check_existing:
                raise
            raise _Fallback from None  # an id already in the journal

    def _store_balances(self, connection: sa.Connection, states: Sequence[AccountState]) -> None:
        """Write the accounts' new balances, by their integer keys."""
        if self._postgres:
            columns = [list(map(attrgetter(name), states)) for name in _BALANCE_COLUMNS]
            connection.exec_driver_sql(
                "UPDATE ledger_balances SET debits_pending = v.dp, debits_posted = v.dpo, "
                "credits_pending = v.cp, credits_posted = v.cpo FROM unnest(%s::bigint[], "
                "%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) "
                "AS v(k, dp, dpo, cp, cpo) WHERE account_key = v.k",
                tuple(columns),
            )
            return
        _insert_values(
            connection,
            _UPSERT_BALANCES,
            chain.from_iterable(map(_BALANCE_ROW, states)),
            width=len(_BALANCE_COLUMNS),
            count=len(states),
            suffix=_UPSERT_BALANCES_SET,
        )

    def _resolve(
        self,
        op: _Resolve,
        pendings: dict[str, JournalEntry],
        resolutions: dict[str, JournalEntry],
        existing: dict[str, JournalEntry],
        accounts: Mapping[str, AccountState],
        now: int,
    ) -> tuple[JournalEntry, bool]:
        """The row that resolves ``op``'s pending transfer, and whether it is new (not a repeat)."""
        pending = pendings.get(op.pending_id)
        if pending is None or pending.phase != PENDING:
            raise PendingTransferNotFound(
                f"there is no pending transfer {op.pending_id!r} to "
                f"{'post' if op.post else 'void'}",
                subject=op.pending_id,
            )
        earlier = resolutions.get(op.pending_id)
        resolved_by = earlier.phase if earlier is not None else None
        if earlier is not None and resolved_by == (POST if op.post else VOID):
            return earlier, False
        taken = existing.get(resolution_id(op.pending_id, op.post))
        if taken is not None and taken.pending_id != op.pending_id:
            raise TransferConflict(
                f"cannot {'post' if op.post else 'void'} pending transfer {op.pending_id!r}: "
                f"the id {taken.transfer_id!r} it would be journaled under is another transfer's",
                subject=op.pending_id,
            )
        apply_resolution(
            pending,
            resolved_by,
            op.post,
            accounts.get(pending.debit_account_id),
            accounts.get(pending.credit_account_id),
            now,
        )
        return resolution_entry(pending, op.post, now), True

    def _entries(
        self, connection: sa.Connection, key: str, ids: Sequence[str]
    ) -> dict[str, JournalEntry]:
        """Journal rows whose ``key`` (transfer_id or pending_id) is one of ``ids``."""
        if not ids:
            return {}
        rows = self._select_in(
            connection,
            f"SELECT {_ENTRY_COLUMNS} FROM ledger_transfers WHERE world_id = {{m}} AND {key} ",
            ids,
        )
        entries = (JournalEntry(*row) for row in rows)
        if key == "transfer_id":
            return {entry.transfer_id: entry for entry in entries}
        return {entry.pending_id: entry for entry in entries if entry.pending_id is not None}

    def _lock_accounts(
        self, connection: sa.Connection, cache: _AccountCache | None, account_ids: set[str]
    ) -> Mapping[str, AccountState]:
        """The accounts' balances (of these ids at least), held until the transaction ends.

        On SQLite the write lock holds them and balances this connection wrote are
        taken from its cache when no other connection has committed since; on
        PostgreSQL the rows are locked in id order, so two batches never deadlock.
        """
        accounts: dict[str, AccountState] = {}
        missing: list[str] = []
        if cache is None:
            missing = sorted(account_ids)
        else:
            cached = cache.accounts(self.world_id)
            if account_ids <= cached.keys():
                return cached  # every one cached: the cache itself serves
            ids = list(account_ids)
            states = list(map(cached.get, ids))
            if None in states:
                missing = [i for i, state in zip(ids, states, strict=True) if state is None]
                accounts = {i: s for i, s in zip(ids, states, strict=True) if s is not None}
            else:
                accounts = dict(zip(ids, cast(list[AccountState], states), strict=True))
        if missing:
            lock = " ORDER BY a.account_id FOR UPDATE OF b" if self._postgres else ""
            rows = self._select_in(
                connection,
                f"SELECT {_ACCOUNT_COLUMNS}, a.account_key FROM {_ACCOUNTS} "
                "WHERE a.world_id = {m} AND a.account_id ",
                missing,
                suffix=lock,
            )
            for row in rows:
                state = AccountState(
                    row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7], row[8]
                )
                accounts[row[0]] = state
                if cache is not None:
                    cache.put(self.world_id, state)
        return accounts

    def _select_in(
        self,
        connection: sa.Connection,
        template: str,
        ids: Sequence[str],
        *,
        suffix: str = "",
    ) -> list[Sequence[Any]]:
        """``template`` (``{m}`` a marker) completed by ``IN (ids…)`` or ``= ANY(ids)``.

        Straight through the driver's cursor: the write path reads thousands of rows a batch.
        """
        unique = list(dict.fromkeys(i for i in ids if isinstance(i, str)))
        rows: list[Sequence[Any]] = []
        if not unique:
            return rows
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if self._postgres:
                cursor.execute(
                    template.format(m="%s") + "= ANY(%s)" + suffix, (self.world_id, unique)
                )
                rows.extend(cursor.fetchall())
                return rows
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                cursor.execute(_in_sql(template, len(chunk)) + suffix, (self.world_id, *chunk))
                rows.extend(cursor.fetchall())
        finally:
            cursor.close()
        return rows


class _AccountCache:
    """Balances one SQLite connection read or wrote, trusted while no other connection commits.

    SQLite's ``PRAGMA data_version`` changes when another connection (of any process)
    commits, and only then; read under the write lock, an unchanged version proves the
    cached balances are the stored ones. Any failure drops the cache, so it only ever
    holds committed values. It lives in the pooled connection's ``info``.
    """

    _KEY = "mindshare.ledger.accounts"
    _LIMIT = 1_000_000

    def __init__(self, version: int) -> None:
        self.version = version
        self._worlds: dict[str, dict[str, AccountState]] = {}
        self._size = 0

    @classmethod
    def of(cls, connection: sa.Connection) -> _AccountCache:
        """The connection's cache, emptied if another connection has committed since."""
        version = connection.exec_driver_sql("PRAGMA data_version").scalar_one()
        info = connection.connection.info
        cache = info.get(cls._KEY)
        if not isinstance(cache, cls) or cache.version != version:
            cache = info[cls._KEY] = cls(version)
        return cache

    @classmethod
    def drop(cls, connection: sa.Connection) -> None:
        """Forget the connection's cache (after a failure, its contents are unproven)."""
        if not connection.closed and not connection.invalidated:
            connection.connection.info.pop(cls._KEY, None)

    def accounts(self, world_id: str) -> Mapping[str, AccountState]:
        """The world's cached accounts by id (read only: ``put`` adds to it)."""
        return self._worlds.get(world_id, {})

    def put(self, world_id: str, state: AccountState) -> None:
        if self._size >= self._LIMIT:
            self.clear()
        self._worlds.setdefault(world_id, {})[state.account_id] = state
        self._size += 1

    def pop(self, world_id: str, account_id: str) -> None:
        self._worlds.get(world_id, {}).pop(account_id, None)

    def clear(self) -> None:
        self._worlds.clear()
        self._size = 0


def _failed_linked_batch(
    operations: Sequence[Transfer | _Resolve], failure: int, cause: TransferResult
) -> TransferResults:
    """Every transfer of a linked batch failed: the one that broke a rule, and the others."""
    failed_id = _operation_id(operations[failure])
    return TransferResults(
        cause
        if index == failure
        else TransferResult(
            _operation_id(operation),
            "failed",
            None,
            LinkedTransferFailed(
                f"transfer {_operation_id(operation)!r} was not written: transfer "
                f"{failed_id!r} of its linked batch failed ({cause.error})",
                subject=_operation_id(operation),
            ),
        )
        for index, operation in enumerate(operations)
    )


@lru_cache(maxsize=256)
def _in_sql(template: str, count: int) -> str:
    return template.format(m="?") + f"IN ({', '.join(['?'] * count)})"


def _new_transfers(operations: Sequence[Transfer | _Resolve]) -> TransferColumns | None:
    """The batch column by column if it holds only transfers with distinct string ids."""
    if set(map(type, operations)) != {Transfer}:
        return None
    columns = TransferColumns._make(zip(*operations, strict=True))
    ids = columns.id
    if set(map(type, ids)) != {str} or len(set(ids)) != len(ids):
        return None
    return columns


def _insert_values(
    connection: sa.Connection,
    head: str,
    values: Iterable[Any],
    *,
    width: int,
    count: int,
    suffix: str = "",
) -> None:
    """``head`` completed by ``(?, …), (?, …)`` for many rows at once, then ``suffix``.

    ``values`` are the ``count`` rows of ``width`` values each, one after the other: a
    flat stream, so that no tuple per row is kept (they would only feed the collector).
    SQLite only, straight through the driver's cursor; a broken constraint raises
    ``sqlalchemy.exc.IntegrityError``, as ``exec_driver_sql`` would.
    """
    if not count:
        return
    values = iter(values)
    driver_connection = cast(sqlite3.Connection, connection.connection.driver_connection)
    limit = driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width
    most = min(_ROWS_PER_STATEMENT, 1 << (max(limit, 1).bit_length() - 1))
    cursor = driver_connection.cursor()
    try:
        while count:
            rows = most if count >= most else 1 << (count.bit_length() - 1)
            statement = _values_sql(head, width, rows, suffix)
            cursor.execute(statement, list(islice(values, rows * width)))
            count -= rows
    except sqlite3.IntegrityError as error:
        raise sa.exc.IntegrityError(head, None, error) from error
    finally:
        cursor.close()


@lru_cache(maxsize=64)
def _values_sql(head: str, width: int, count: int, suffix: str) -> str:
    row = f"({', '.join(['?'] * width)})"
    return head + ", ".join([row] * count) + suffix


def _operation_id(operation: Transfer | _Resolve) -> str:
    if isinstance(operation, _Resolve):
        return operation.pending_id
    return str(getattr(operation, "id", ""))


def _checked_account(account: Account) -> Account | LedgerError:
    """The account if it is well formed, else the error saying what is wrong with it."""
    account_id = getattr(account, "id", None)
    if not isinstance(account_id, str) or not account_id or len(account_id) > MAX_ID_LENGTH:
        return InvalidTransfer(
            f"an account id must be a non-empty string of at most {MAX_ID_LENGTH} characters, "
            f"not {account_id!r}"
        )
    if not isinstance(account.owner, str) or not account.owner:
        return InvalidTransfer(f"account {account_id!r}: the owner must be a non-empty string")
    if account.kind not in ACCOUNT_KINDS:
        return InvalidTransfer(
            f"account {account_id!r}: kind {account.kind!r} is not one of "
            f"{', '.join(sorted(ACCOUNT_KINDS))}",
            subject=account_id,
        )
    if not isinstance(account.currency, str) or not is_currency_code(account.currency):
        return InvalidTransfer(
            f"account {account_id!r}: {account.currency!r} is not a currency code",
            subject=account_id,
        )
    if account.debits_must_not_exceed_credits and account.credits_must_not_exceed_debits:
        return InvalidTransfer(
            f"account {account_id!r}: both flags together would forbid every transfer",
            subject=account_id,
        )
    return account
