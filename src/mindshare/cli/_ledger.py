"""``mindshare ledger accounts|transfer|audit`` and ``mindshare payouts run``."""

from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.table import Table

from mindshare import engine
from mindshare.cli._app import JsonOption, WorldOption, _print_json, _store, _user_errors, app, out
from mindshare.ledger import Ledger, Transfer
from mindshare.store import ledger_accounts

ledger_app = typer.Typer(help="The double-entry ledger: accounts, transfers, audit.")
payouts_app = typer.Typer(help="Settle a period: ad charges, creator payouts, rewards, quests.")
app.add_typer(ledger_app, name="ledger")
app.add_typer(payouts_app, name="payouts")


@ledger_app.command("accounts")
def accounts_command(world: WorldOption, as_json: JsonOption = False) -> None:
    """Every account of the world with its balances."""
    with _user_errors():
        ledger = Ledger(_store(), world)
        rows = [
            {
                "account_id": account.id,
                "owner": account.owner,
                "kind": account.kind,
                "currency": account.currency,
                "debits_must_not_exceed_credits": account.debits_must_not_exceed_credits,
                "credits_must_not_exceed_debits": account.credits_must_not_exceed_debits,
                "closed": balance.closed,
                "debits_pending": balance.debits_pending,
                "debits_posted": balance.debits_posted,
                "credits_pending": balance.credits_pending,
                "credits_posted": balance.credits_posted,
                "balance": balance.posted,
            }
            for account, balance in ledger.accounts()
        ]
    if as_json:
        _print_json({"world_id": world, "accounts": rows})
        return
    table = Table(title=f"Ledger accounts of {world!r} (balance = credits - debits, posted)")
    for column in ("account", "kind", "currency", "balance", "pending out", "pending in"):
        table.add_column(column, justify="left" if column in ("account", "kind") else "right")
    for row in rows:
        table.add_row(
            str(row["account_id"]),
            str(row["kind"]),
            str(row["currency"]),
            f"{row['balance']:,}",
            f"{row['debits_pending']:,}",
            f"{row['credits_pending']:,}",
        )
    out.print(table)


@ledger_app.command("transfer")
def transfer_command(
    world: WorldOption,
    transfer_id: Annotated[str, typer.Option("--id", help="The transfer's id (idempotent).")],
    debit: Annotated[str, typer.Option(help="The account debited (money leaves it).")],
    credit: Annotated[str, typer.Option(help="The account credited (money arrives).")],
    amount: Annotated[int, typer.Option(help="Integer minor units, > 0.")],
    currency: Annotated[str, typer.Option(help="Both accounts' currency.")],
    code: Annotated[int, typer.Option(help="What the transfer is for (yours).")] = 0,
    pending: Annotated[bool, typer.Option(help="Reserve only; post or void later.")] = False,
    timeout_ms: Annotated[
        int | None, typer.Option(help="A pending transfer's timeout, in ms.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make one transfer; a repeat with the same id and body changes nothing."""
    with _user_errors():
        ledger = Ledger(_store(), world)
        result = ledger.create_transfers(
            [
                Transfer(
                    transfer_id, debit, credit, amount, currency, code, None, pending, timeout_ms
                )
            ]
        )[0]
        if result.error is not None:
            raise result.error
    if as_json:
        _print_json(
            {
                "transfer_id": result.transfer_id,
                "status": result.status,
                "timestamp_ms": result.timestamp_ms,
            }
        )
        return
    out.print(f"transfer {result.transfer_id!r}: {result.status}")


@ledger_app.command("audit")
def audit_command(
    world: Annotated[
        str | None, typer.Option("--world", "-w", help="One world (default: every world).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute every balance from the journal; exit 1 when anything does not add up."""
    with _user_errors():
        store = _store()
        worlds = [world] if world is not None else _ledger_worlds(store)
        reports = [Ledger(store, name).audit() for name in worlds]
    ok = all(report.ok for report in reports)
    if as_json:
        _print_json({"ok": ok, "worlds": [report.to_dict() for report in reports]})
    else:
        for report in reports:
            verdict = "[green]ok[/]" if report.ok else "[bold red]FAILED[/]"
            out.print(
                f"{report.world_id}: {verdict} — {report.accounts} accounts, "
                f"{report.transfers} transfers"
            )
            for totals in report.currencies:
                out.print(
                    f"  {totals.currency}: debits {totals.debits_posted:,} = credits "
                    f"{totals.credits_posted:,} posted; {totals.debits_pending:,} pending"
                )
            for problem in report.problems:
                out.print(f"  [red]{problem}[/]", highlight=False)
        if not reports:
            out.print("no ledger accounts yet")
    if not ok:
        raise typer.Exit(1)


@payouts_app.command("run")
def payouts_run_command(
    world: WorldOption,
    period: Annotated[
        str, typer.Option(help="YYYY-MM-DD..YYYY-MM-DD, first and last day included (UTC).")
    ],
    as_json: JsonOption = False,
) -> None:
    """Settle the period once: charge ads, pay creators, reward people; print the statement."""
    with _user_errors():
        settlement = engine.settle_period(_store(), world, period)
    if as_json:
        _print_json(settlement.to_dict())
        return
    statement: dict[str, Any] = settlement.statement
    if settlement.rerun:
        out.print(f"{settlement.period} was already settled: nothing new was paid")
    out.print(
        f"[bold]{world}[/] {settlement.period}: {settlement.created} transfers made, "
        f"{settlement.already_there} already there"
    )
    totals = statement.get("totals", {})
    table = Table(title=f"Statement ({statement.get('currency', '')} minor units)")
    table.add_column("line")
    table.add_column("amount", justify="right")
    for name, value in totals.items():
        table.add_row(name.removesuffix("_minor").replace("_", " "), f"{value:,}")
    out.print(table)
    payouts = [row for row in statement.get("payouts", []) if row.get("paid_minor")]
    if payouts:
        top = Table(title="Creator payouts (largest first)")
        for column in ("creator", "attentive s", "share", "paid", "held back"):
            top.add_column(column, justify="left" if column == "creator" else "right")
        for row in sorted(payouts, key=lambda r: -int(r["paid_minor"]))[:10]:
            top.add_row(
                str(row["creator_id"]),
                f"{int(row['attentive_ms']) / 1000:,.0f}",
                str(row["share"]),
                f"{int(row['paid_minor']):,}",
                f"{int(row['held_back_minor']):,}",
            )
        out.print(top)


def _ledger_worlds(store: sa.Engine) -> list[str]:
    """Every world with a ledger account."""
    with store.connect() as connection:
        return list(
            connection.execute(
                sa.select(ledger_accounts.c.world_id)
                .distinct()
                .order_by(ledger_accounts.c.world_id)
            ).scalars()
        )
