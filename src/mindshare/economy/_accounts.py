"""The ledger accounts of the economy, named in one place, and the transfers it asks for.

Account ids read ``kind:subject:CURRENCY``; the subject of a platform account is its
role. Every id fits the ledger's 128-character ids.

=====================================  ==========  =============================================
account id                             kind        what it holds
=====================================  ==========  =============================================
``person:{user_id}:{CUR}``             person      rewards a person earned
``creator:{creator_id}:{CUR}``         creator     payouts a creator earned
``advertiser:{advertiser_id}:{CUR}``   advertiser  an advertiser's prepaid funds
``platform:revenue:{CUR}``             platform    ad revenue (unflagged: the platform's books)
``platform:emission:{CUR}``            platform    where a fixed emission is minted from
``platform:funding:{CUR}``             platform    where advertisers' deposits come from
``pool:creators:{CUR}``                pool        the creator pool until it is paid out
``pool:rewards:{CUR}``                 pool        people's rewards until they are paid out
``escrow:holdback:{CUR}``              escrow      pay held back for unverified attention
``escrow:market:{CUR}``                escrow      the market's funds in flight
=====================================  ==========  =============================================

Accounts of people, creators, advertisers, pools and escrows must never go negative
(their debits must not exceed their credits). Money enters the economy through the
platform accounts, so they may: the emission and funding accounts are sources, only
ever drawn from (their credits must not exceed their debits), and platform revenue
is unflagged.
"""

import hashlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal, get_args

from mindshare.core import InputError, is_currency_code

#: The longest account or transfer id the ledger stores.
MAX_ID_LENGTH = 128
#: The longest ``user_data`` the ledger stores.
MAX_USER_DATA_LENGTH = 256

AccountKind = Literal["person", "creator", "advertiser", "platform", "pool", "escrow"]
ACCOUNT_KINDS: tuple[AccountKind, ...] = get_args(AccountKind)

PLATFORM_OWNER = "platform"
_PLATFORM_ROLES = ("revenue", "emission", "funding")
_SOURCE_ROLES = ("emission", "funding")
_POOL_ROLES = ("creators", "rewards")
_ESCROW_ROLES = ("holdback", "market")


class TransferCode(IntEnum):
    """Why money moved: the ledger's ``code`` of each economy transfer (codes 100 to 199)."""

    ADVERTISER_FUNDING = 101
    AD_CHARGE = 102
    CREATOR_POOL_AD_SHARE = 111
    CREATOR_POOL_SUBSCRIPTION = 112
    CREATOR_POOL_EMISSION = 113
    CREATOR_PAYOUT = 121
    PAYOUT_HOLDBACK = 122
    HOLDBACK_RELEASE = 123
    HOLDBACK_RETURN = 124
    REWARD_POOL_AD_SHARE = 131
    ATTENTION_REWARD = 132
    QUEST_REWARD = 133


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """What the ledger needs to open an account: its owner, kind, currency and flags."""

    account_id: str
    owner: str
    kind: AccountKind
    currency: str
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool


@dataclass(frozen=True, slots=True)
class Posting:
    """One transfer the economy asks the ledger to make: ``amount`` from debit to credit.

    ``transfer_id`` is built from what the transfer is for (kind, currency, period,
    subject), so settling a period twice asks for the same transfers and the
    ledger, idempotent by id, makes them once.
    """

    transfer_id: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    code: TransferCode
    user_data: str = ""

    @property
    def currency(self) -> str:
        """The currency of both accounts (the last part of an account id)."""
        return self.credit_account_id.rpartition(":")[2]

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise InputError(
                f"transfer {self.transfer_id!r}: amount is {self.amount!r}; it must be a "
                "whole number of minor units > 0"
            )
        if self.debit_account_id == self.credit_account_id:
            raise InputError(
                f"transfer {self.transfer_id!r} debits and credits the same account "
                f"{self.debit_account_id!r}"
            )


def person_account(user_id: str, currency: str) -> str:
    """A person's account: where their attention and quest rewards are paid."""
    return _account_id("person", user_id, currency)


def creator_account(creator_id: str, currency: str) -> str:
    """A creator's account: where their payouts are paid."""
    return _account_id("creator", creator_id, currency)


def advertiser_account(advertiser_id: str, currency: str) -> str:
    """An advertiser's prepaid account: ad charges are taken from it."""
    return _account_id("advertiser", advertiser_id, currency)


def platform_revenue_account(currency: str) -> str:
    """The platform's revenue: ad charges arrive here; pool shares leave from here."""
    return _account_id("platform", "revenue", currency)


def emission_account(currency: str) -> str:
    """The source of money the platform mints (the fixed emission, the subscription pool)."""
    return _account_id("platform", "emission", currency)


def advertiser_funding_account(currency: str) -> str:
    """Where advertisers' deposits come from: money paid in from outside the economy."""
    return _account_id("platform", "funding", currency)


def creator_pool_account(currency: str) -> str:
    """The creator pool: funded each period, paid out by engagement."""
    return _account_id("pool", "creators", currency)


def reward_pool_account(currency: str) -> str:
    """The reward pool: funded from ad revenue, paid to people for attention and quests."""
    return _account_id("pool", "rewards", currency)


def holdback_account(currency: str) -> str:
    """Pay held back for unverified attention, released or returned in a later period."""
    return _account_id("escrow", "holdback", currency)


def market_escrow_account(currency: str) -> str:
    """The market's escrow: payments for goods between order and delivery."""
    return _account_id("escrow", "market", currency)


def platform_accounts(currency: str) -> tuple[AccountSpec, ...]:
    """Every account of the economy that is not a person's, creator's or advertiser's."""
    return tuple(
        account_spec(account(currency))
        for account in (
            platform_revenue_account,
            emission_account,
            advertiser_funding_account,
            creator_pool_account,
            reward_pool_account,
            holdback_account,
            market_escrow_account,
        )
    )


def account_spec(account_id: str) -> AccountSpec:
    """How to open the economy account ``account_id``: owner, kind, currency, flags.

    Examples
    --------
    >>> spec = account_spec("creator:c1:USD")
    >>> spec.owner, spec.kind, spec.currency, spec.debits_must_not_exceed_credits
    ('c1', 'creator', 'USD', True)
    >>> account_spec("platform:emission:USD").debits_must_not_exceed_credits
    False
    """
    kind, _, rest = account_id.partition(":")
    subject, _, currency = rest.rpartition(":")
    if kind not in ACCOUNT_KINDS or not subject or not is_currency_code(currency):
        raise InputError(
            f"{account_id!r} is not an economy account id; they read kind:subject:CURRENCY "
            f"with kind one of {', '.join(ACCOUNT_KINDS)}"
        )
    roles = {"platform": _PLATFORM_ROLES, "pool": _POOL_ROLES, "escrow": _ESCROW_ROLES}
    if kind in roles and subject not in roles[kind]:
        raise InputError(
            f"{account_id!r}: the economy has no {kind} account {subject!r}; "
            f"known: {', '.join(roles[kind])}"
        )
    owner = PLATFORM_OWNER if kind in roles else subject
    return AccountSpec(
        account_id=account_id,
        owner=owner,
        kind=kind,
        currency=currency,
        debits_must_not_exceed_credits=kind != "platform",
        credits_must_not_exceed_debits=kind == "platform" and subject in _SOURCE_ROLES,
    )


def transfer_id(kind: str, currency: str, period: str, *subject: str) -> str:
    """A deterministic transfer id ``kind:CUR:period:subject…``, hashed down if too long.

    The same settlement asks for the same ids, so a re-run is a no-op in the ledger.
    """
    if not period:
        raise InputError("period is empty; name the period being settled (e.g. '2024-W18')")
    return bounded_id(":".join((kind, currency, period, *subject)))


def bounded_id(readable: str) -> str:
    """``readable`` if it fits the ledger's id length, else its head and a hash of all of it."""
    if len(readable) <= MAX_ID_LENGTH:
        return readable
    digest = hashlib.sha256(readable.encode()).hexdigest()[:32]
    return f"{readable[: MAX_ID_LENGTH - len(digest) - 1]}:{digest}"


def user_data(text: str) -> str:
    """A transfer's note, cut to what the ledger stores."""
    return text if len(text) <= MAX_USER_DATA_LENGTH else text[: MAX_USER_DATA_LENGTH - 1] + "…"


def _account_id(kind: AccountKind, subject: str, currency: str) -> str:
    if not isinstance(subject, str) or not subject:
        raise InputError(f"a {kind} account needs a non-empty id, got {subject!r}")
    if not is_currency_code(currency):
        raise InputError(f"{currency!r} is not a currency code (3-12 capitals, e.g. USD)")
    account_id = f"{kind}:{subject}:{currency}"
    if len(account_id) > MAX_ID_LENGTH:
        raise InputError(
            f"the {kind} account of {subject[:40]!r}… would have a {len(account_id)}-character "
            f"id; ledger ids hold at most {MAX_ID_LENGTH}"
        )
    return account_id
