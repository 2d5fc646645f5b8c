"""``mindshare market …``: list, sell, buy, bid on and close listings; deposit money to spend."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from mindshare import engine
from mindshare.cli._app import JsonOption, WorldOption, _print_json, _store, _user_errors, app, out
from mindshare.core import InputError, to_epoch_ms, utc_now

market_app = typer.Typer(
    name="market",
    help="Trade assets: fixed-price listings, English and Dutch auctions, settled in the ledger.",
    no_args_is_help=True,
)
app.add_typer(market_app, name="market")

HOUR_MS = 3_600_000
MINUTE_MS = 60_000


class KindOption(StrEnum):
    FIXED = "fixed"
    ENGLISH = "english"
    DUTCH = "dutch"


ListingOption = Annotated[str, typer.Option("--listing", "-l", help="The listing id.")]


@market_app.command(name="list")
def list_command(world: WorldOption, as_json: JsonOption = False) -> None:
    """The world's open listings, soonest to close first, with what each asks now."""
    with _user_errors():
        listings = engine.open_listings(_store(), world, now_ms=_now())
    if as_json:
        _print_json([listing.to_dict() for listing in listings])
        return
    table = Table(title=f"Open listings in {world!r}")
    for column in ("listing", "item", "seller", "kind", "asking", "high bid", "bids", "closes"):
        table.add_column(column, justify="right" if column in ("asking", "bids") else "left")
    for entry in listings:
        listing = entry.listing
        high = entry.high_bid
        table.add_row(
            listing.listing_id,
            listing.item_id,
            listing.seller_id,
            listing.kind,
            f"{entry.asking_minor:,} {listing.currency}",
            "" if high is None else f"{high.amount_minor:,} by {high.bidder_id}",
            str(entry.bids) if listing.kind == "english" else "",
            _when(entry.closes_ms),
        )
    out.print(table)
    out.print(f"{len(listings)} open listing(s).")


@market_app.command()
def sell(
    world: WorldOption,
    seller: Annotated[str, typer.Option(help="Who sells: the asset's owner.")],
    item: Annotated[str, typer.Option(help="The asset to sell.")],
    kind: Annotated[KindOption, typer.Option(help="How it sells.")] = KindOption.FIXED,
    price: Annotated[
        int | None,
        typer.Option(help="Fixed: the price. English and Dutch: the opening price (minor units)."),
    ] = None,
    reserve: Annotated[int, typer.Option(help="English: the least a winning bid must be.")] = 0,
    min_increment: Annotated[
        int, typer.Option(help="English: the least a bid must beat the high bid by.")
    ] = 0,
    ends_in_hours: Annotated[
        float | None, typer.Option(help="English: bidding closes this many hours from now.")
    ] = None,
    extension_minutes: Annotated[
        float, typer.Option(help="English: a late bid pushes the close this long past it.")
    ] = 0,
    floor: Annotated[int | None, typer.Option(help="Dutch: the price never falls below.")] = None,
    decrement: Annotated[int | None, typer.Option(help="Dutch: the price falls by.")] = None,
    interval_minutes: Annotated[
        float | None, typer.Option(help="Dutch: … every this many minutes.")
    ] = None,
    expires_in_hours: Annotated[
        float | None, typer.Option(help="The listing expires this many hours from now.")
    ] = None,
    listing_id: Annotated[str | None, typer.Option("--listing-id", help="Name it.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List an asset for sale at a fixed price, by English auction or by Dutch auction."""
    with _user_errors():
        now = _now()
        is_fixed = kind is KindOption.FIXED
        if kind is KindOption.ENGLISH and ends_in_hours is None:
            raise InputError("an English auction needs --ends-in-hours")
        if kind is KindOption.DUTCH and (interval_minutes is None or decrement is None):
            raise InputError("a Dutch auction needs --decrement and --interval-minutes")
        listed = engine.list_item(
            _store(),
            world,
            seller_id=seller,
            item_id=item,
            kind=kind.value,
            now_ms=now,
            listing_id=listing_id,
            expires_ms=_later(now, expires_in_hours, HOUR_MS),
            price_minor=price if is_fixed else None,
            start_price_minor=None if is_fixed else price,
            reserve_minor=reserve,
            min_increment_minor=min_increment,
            ends_ms=_later(now, ends_in_hours, HOUR_MS),
            extension_ms=round(extension_minutes * MINUTE_MS),
            floor_price_minor=floor,
            decrement_minor=decrement,
            interval_ms=_later(0, interval_minutes, MINUTE_MS),
        )
    if as_json:
        _print_json(listed.to_dict())
        return
    listing = listed.listing
    out.print(
        f"Listed {listing.item_id!r} as {listing.listing_id!r} ({listing.kind}), asking "
        f"{listed.asking_minor:,} {listing.currency} until {_when(listed.closes_ms)}.",
        highlight=False,
    )


@market_app.command()
def buy(
    world: WorldOption,
    buyer: Annotated[str, typer.Option(help="Who buys; pays from their person account.")],
    listing: ListingOption,
    as_json: JsonOption = False,
) -> None:
    """Buy a fixed-price or Dutch listing at its price now."""
    with _user_errors():
        trade = engine.buy(_store(), world, buyer_id=buyer, listing_id=listing, now_ms=_now())
    if as_json:
        _print_json(trade.to_dict())
        return
    split = trade.split
    out.print(
        f"{trade.buyer_id} bought {trade.item_id!r} for {trade.price_minor:,} {trade.currency}: "
        f"{split.seller_minor:,} to {trade.seller_id}, {split.creator_royalty_minor:,} royalty "
        f"to {trade.creator_id}, {split.platform_fee_minor:,} platform fee.",
        highlight=False,
    )


@market_app.command()
def bid(
    world: WorldOption,
    bidder: Annotated[str, typer.Option(help="Who bids; the amount is held from their account.")],
    listing: ListingOption,
    amount: Annotated[int, typer.Option(help="The bid, in minor units.")],
    as_json: JsonOption = False,
) -> None:
    """Bid on an English auction; the amount is held in escrow until outbid or settled."""
    with _user_errors():
        placed = engine.bid(
            _store(),
            world,
            bidder_id=bidder,
            listing_id=listing,
            amount_minor=amount,
            now_ms=_now(),
        )
    if as_json:
        _print_json(placed.to_dict())
        return
    out.print(
        f"{bidder} is the high bidder on {listing!r} at {amount:,}; bidding closes "
        f"{_when(placed.closes_ms)}.",
        highlight=False,
    )


@market_app.command()
def cancel(
    world: WorldOption,
    seller: Annotated[str, typer.Option(help="The listing's seller.")],
    listing: ListingOption,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a listing (an English auction only while it has no bids)."""
    with _user_errors():
        cancelled = engine.cancel(
            _store(), world, seller_id=seller, listing_id=listing, now_ms=_now()
        )
    if as_json:
        _print_json({"listing_id": cancelled.listing_id, "status": cancelled.status})
        return
    out.print(f"Cancelled listing {listing!r}.", highlight=False)


@market_app.command()
def close(world: WorldOption, as_json: JsonOption = False) -> None:
    """Settle ended auctions and expire listings whose time is up."""
    with _user_errors():
        closed = engine.close_auctions(_store(), world, now_ms=_now())
    if as_json:
        _print_json([entry.to_dict() for entry in closed])
        return
    for entry in closed:
        sold = entry.trade
        detail = "" if sold is None else f" to {sold.buyer_id} for {sold.price_minor:,}"
        out.print(f"{entry.listing_id}: {entry.status}{detail}", highlight=False)
    out.print(f"{len(closed)} listing(s) closed.")


@market_app.command()
def deposit(
    world: WorldOption,
    user: Annotated[str, typer.Option(help="The person to credit.")],
    amount: Annotated[int, typer.Option(help="How much, in minor units.")],
    reference: Annotated[
        str, typer.Option(help="The payment's reference: a deposit is made once per reference.")
    ],
    currency: Annotated[
        str | None, typer.Option(help="By default the world market's currency.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Pay money in from outside the economy to a person's account, to spend in the market."""
    with _user_errors():
        balance = engine.deposit(
            _store(),
            world,
            user_id=user,
            amount_minor=amount,
            reference=reference,
            currency=currency,
        )
    if as_json:
        _print_json({"user_id": user, "reference": reference, "available_minor": balance})
        return
    out.print(f"{user} can now spend {balance:,}.", highlight=False)


def _now() -> int:
    return to_epoch_ms(utc_now())


def _later(start_ms: int, amount: float | None, unit_ms: int) -> int | None:
    return None if amount is None else start_ms + round(amount * unit_ms)


def _when(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
