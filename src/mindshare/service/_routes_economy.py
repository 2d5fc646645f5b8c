"""Routes where attention becomes value: the ledger, payout runs and the market.

The ledger answers as TigerBeetle does: a transfer id already written with the same
body is reported as ``exists`` and changes nothing, with another body it is a conflict
(409). Money is always integer minor units.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from mindshare import engine
from mindshare.core import to_epoch_ms, utc_now
from mindshare.ledger import Account, Ledger, Transfer
from mindshare.service._auth import authorize
from mindshare.service._errors import ERROR_RESPONSES
from mindshare.service._keys import ApiKey, Scope
from mindshare.service._types import Id, Note, PathId

economy_routes = APIRouter(prefix="/v1/worlds/{world}", responses=ERROR_RESPONSES)

Read = Annotated[ApiKey, Depends(authorize(Scope.READ))]
Trade = Annotated[ApiKey, Depends(authorize(Scope.TRADE))]
Admin = Annotated[ApiKey, Depends(authorize(Scope.ADMIN))]
Minor = Annotated[int, Field(gt=0, lt=2**63, description="Integer minor units (cents).")]
Currency = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{2,11}$")]


class AccountIn(BaseModel):
    """A ledger account to open; flags bar it from going negative (or positive)."""

    model_config = ConfigDict(extra="forbid")
    id: Id
    owner: Id
    kind: Literal["person", "creator", "advertiser", "platform", "pool", "escrow"]
    currency: Currency
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False


class AccountOut(BaseModel):
    """An account's balances: ``posted`` is credits less debits, ``available`` what can go."""

    account_id: str
    currency: str
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    posted: int
    available: int
    closed: bool


class TransferIn(BaseModel):
    """Move ``amount`` from the debit account to the credit account; ``pending`` only holds it."""

    model_config = ConfigDict(extra="forbid")
    id: Id
    debit_account_id: Id
    credit_account_id: Id
    amount: Minor
    currency: Currency
    code: Annotated[int, Field(ge=0, lt=2**31)] = 0
    user_data: Note | None = None
    pending: bool = False
    timeout_ms: Annotated[int | None, Field(gt=0, lt=2**62)] = None


class TransferBatch(BaseModel):
    """Up to 8,190 transfers; ``linked`` ones are written all or none."""

    model_config = ConfigDict(extra="forbid")
    transfers: list[TransferIn] = Field(min_length=1, max_length=8_190)
    linked: bool = False


class TransferOut(BaseModel):
    """What became of a transfer: ``created`` now, or ``exists`` (the same body, earlier)."""

    transfer_id: str
    status: Literal["created", "exists"]
    timestamp_ms: int | None


class PayoutRunIn(BaseModel):
    """The period to settle, ``YYYY-MM-DD..YYYY-MM-DD`` (both days included)."""

    model_config = ConfigDict(extra="forbid")
    period: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$")]


class PayoutRunOut(BaseModel):
    """A settled period and its statement; a re-run creates nothing."""

    world_id: str
    period: str
    transfers_created: int
    transfers_already_there: int
    statement: dict[str, Any]


class ListingIn(BaseModel):
    """Offer an item: a fixed price, an English auction (start, reserve, increments, end,
    anti-sniping extension) or a Dutch auction (start, floor, decrement per interval)."""

    model_config = ConfigDict(extra="forbid")
    seller_id: Id
    item_id: Id
    kind: Literal["fixed", "english", "dutch"]
    listing_id: Id | None = None
    expires_ms: int | None = None
    price_minor: Minor | None = None
    start_price_minor: Minor | None = None
    reserve_minor: Annotated[int, Field(ge=0, lt=2**63)] = 0
    min_increment_minor: Annotated[int, Field(ge=0, lt=2**63)] = 0
    min_increment_bps: Annotated[int, Field(ge=0, le=100_000)] = 0
    ends_ms: int | None = None
    extension_ms: Annotated[int, Field(ge=0, lt=2**62)] = 0
    floor_price_minor: Minor | None = None
    decrement_minor: Minor | None = None
    interval_ms: Annotated[int | None, Field(gt=0, lt=2**62)] = None


class ListingOut(BaseModel):
    """A listing still trading: what it asks now and until when."""

    listing_id: str
    item_id: str
    seller_id: str
    creator_id: str
    kind: str
    currency: str
    asking_minor: int
    high_bid_minor: int | None
    high_bidder_id: str | None
    bids: int
    created_ms: int
    closes_ms: int


class OrderIn(BaseModel):
    """Buy a fixed-price or Dutch listing at its current price."""

    model_config = ConfigDict(extra="forbid")
    buyer_id: Id
    listing_id: Id


class TradeOut(BaseModel):
    """A settled sale and how its price was split."""

    listing_id: str
    item_id: str
    kind: str
    seller_id: str
    buyer_id: str
    creator_id: str
    currency: str
    price_minor: int
    seller_minor: int
    creator_royalty_minor: int
    platform_fee_minor: int
    settled_ms: int


class BidIn(BaseModel):
    """A bid on an English auction; its amount is held in escrow while it leads."""

    model_config = ConfigDict(extra="forbid")
    bidder_id: Id
    amount_minor: Minor


class BidOut(BaseModel):
    """An accepted high bid."""

    listing_id: str
    bidder_id: str
    amount_minor: int
    placed_ms: int
    seq: int
    hold_id: str
    closes_ms: int
    outbid_bidder_id: str | None


class DepositIn(BaseModel):
    """Money paid into a person's account from outside, once per ``reference``."""

    model_config = ConfigDict(extra="forbid")
    user_id: Id
    amount_minor: Minor
    reference: Id
    currency: Currency | None = None


class DepositOut(BaseModel):
    """What the person can spend after the deposit."""

    user_id: str
    available_minor: int


@economy_routes.post("/ledger/accounts", tags=["ledger"])
def open_account(request: Request, world: str, body: AccountIn, _key: Admin) -> AccountOut:
    """Open an account (scope ``admin``); the same id with the same body changes nothing."""
    ledger = _ledger(request, world)
    for result in ledger.create_accounts([Account(**body.model_dump())]):
        if result.error is not None:
            raise result.error
    return _account_out(ledger, body.id)


@economy_routes.get("/ledger/accounts/{account_id}", tags=["ledger"])
def get_account(request: Request, world: str, account_id: PathId, _key: Read) -> AccountOut:
    """An account's balances (scope ``read``)."""
    return _account_out(_ledger(request, world), account_id)


@economy_routes.post("/ledger/transfers", tags=["ledger"])
def post_transfers(
    request: Request, world: str, body: TransferBatch, _key: Trade
) -> list[TransferOut]:
    """Write transfers (scope ``trade``), idempotent by id. When one fails the answer is its
    error (409 for funds or a conflicting id, 404 for a missing account); transfers
    before it in an unlinked batch are written and say so when sent again."""
    results = _ledger(request, world).create_transfers(
        [Transfer(**transfer.model_dump()) for transfer in body.transfers], linked=body.linked
    )
    results.raise_first_error()
    return [
        TransferOut(transfer_id=r.transfer_id, status=r.status, timestamp_ms=r.timestamp_ms)
        for r in results
        if r.status != "failed"
    ]


@economy_routes.post("/payouts/runs", tags=["economy"])
def run_payouts(request: Request, world: str, body: PayoutRunIn, _key: Admin) -> PayoutRunOut:
    """Settle a period once (scope ``admin``): ad charges, creator payouts, rewards, quests."""
    settlement = engine.settle_period(request.app.state.mindshare.store, world, body.period)
    return PayoutRunOut(**settlement.to_dict())


@economy_routes.get("/market/listings", tags=["market"])
def get_listings(request: Request, world: str, _key: Read) -> list[ListingOut]:
    """Every listing still trading, soonest to close first (scope ``read``)."""
    listings = engine.open_listings(request.app.state.mindshare.store, world, now_ms=_now())
    return [ListingOut(**listing.to_dict()) for listing in listings]


@economy_routes.post("/market/listings", tags=["market"])
def post_listing(request: Request, world: str, body: ListingIn, _key: Trade) -> ListingOut:
    """List an item its seller owns (scope ``trade``)."""
    listing = engine.list_item(
        request.app.state.mindshare.store, world, now_ms=_now(), **body.model_dump()
    )
    return ListingOut(**listing.to_dict())


@economy_routes.post("/market/listings/{listing_id}/bids", tags=["market"])
def post_bid(request: Request, world: str, listing_id: PathId, body: BidIn, _key: Trade) -> BidOut:
    """Bid on an English auction (scope ``trade``); the amount is held until outbid."""
    placed = engine.bid(
        request.app.state.mindshare.store,
        world,
        bidder_id=body.bidder_id,
        listing_id=listing_id,
        amount_minor=body.amount_minor,
        now_ms=_now(),
    )
    return BidOut(**placed.to_dict())


@economy_routes.post("/market/orders", tags=["market"])
def post_order(request: Request, world: str, body: OrderIn, _key: Trade) -> TradeOut:
    """Buy a listing now (scope ``trade``): escrowed, then paid to seller, creator, platform."""
    trade = engine.buy(
        request.app.state.mindshare.store,
        world,
        buyer_id=body.buyer_id,
        listing_id=body.listing_id,
        now_ms=_now(),
    )
    return TradeOut(**trade.to_dict())


@economy_routes.post("/market/deposits", tags=["market"])
def post_deposit(request: Request, world: str, body: DepositIn, _key: Admin) -> DepositOut:
    """Pay money into a person's account from outside, once per reference (scope ``admin``)."""
    available = engine.deposit(request.app.state.mindshare.store, world, **body.model_dump())
    return DepositOut(user_id=body.user_id, available_minor=available)


def _ledger(request: Request, world: str) -> Ledger:
    return Ledger(request.app.state.mindshare.store, world)


def _account_out(ledger: Ledger, account_id: str) -> AccountOut:
    balance = ledger.balance(account_id)
    return AccountOut(
        account_id=balance.account_id,
        currency=balance.currency,
        debits_pending=balance.debits_pending,
        debits_posted=balance.debits_posted,
        credits_pending=balance.credits_pending,
        credits_posted=balance.credits_posted,
        posted=balance.posted,
        available=balance.available,
        closed=balance.closed,
    )


def _now() -> int:
    return to_epoch_ms(utc_now())
