"""Account names and specs, postings and transfer ids; and the package's public surface."""

import pytest

import mindshare.economy
from mindshare.core import InputError
from mindshare.economy import (
    MAX_ID_LENGTH,
    AccountSpec,
    Posting,
    TransferCode,
    account_spec,
    advertiser_account,
    advertiser_funding_account,
    creator_account,
    creator_pool_account,
    emission_account,
    holdback_account,
    market_escrow_account,
    person_account,
    platform_accounts,
    platform_revenue_account,
    reward_pool_account,
    transfer_id,
)


def test_public_names_are_sorted_and_exist() -> None:
    names = mindshare.economy.__all__

    def isort_order(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert names == sorted(names, key=isort_order)
    assert all(hasattr(mindshare.economy, name) for name in names)


def test_accounts_are_named_kind_subject_currency() -> None:
    assert person_account("ann", "USD") == "person:ann:USD"
    assert creator_account("c1", "USD") == "creator:c1:USD"
    assert advertiser_account("acme", "GEMS") == "advertiser:acme:GEMS"
    assert platform_revenue_account("USD") == "platform:revenue:USD"
    assert emission_account("USD") == "platform:emission:USD"
    assert advertiser_funding_account("USD") == "platform:funding:USD"
    assert creator_pool_account("USD") == "pool:creators:USD"
    assert reward_pool_account("USD") == "pool:rewards:USD"
    assert holdback_account("USD") == "escrow:holdback:USD"
    assert market_escrow_account("USD") == "escrow:market:USD"


def test_only_platform_accounts_may_go_negative_and_sources_are_only_drawn_from() -> None:
    assert account_spec("creator:c1:USD") == AccountSpec(
        account_id="creator:c1:USD",
        owner="c1",
        kind="creator",
        currency="USD",
        debits_must_not_exceed_credits=True,
        credits_must_not_exceed_debits=False,
    )
    flagged = {
        spec.account_id: spec.debits_must_not_exceed_credits for spec in platform_accounts("USD")
    }
    assert flagged == {
        "platform:revenue:USD": False,
        "platform:emission:USD": False,
        "platform:funding:USD": False,
        "pool:creators:USD": True,
        "pool:rewards:USD": True,
        "escrow:holdback:USD": True,
        "escrow:market:USD": True,
    }
    assert {spec.owner for spec in platform_accounts("USD")} == {"platform"}
    sources = {s.account_id for s in platform_accounts("USD") if s.credits_must_not_exceed_debits}
    assert sources == {"platform:emission:USD", "platform:funding:USD"}


def test_an_id_with_colons_keeps_them_in_the_owner() -> None:
    spec = account_spec(person_account("world:ann", "USD"))
    assert (spec.owner, spec.kind, spec.currency) == ("world:ann", "person", "USD")


@pytest.mark.parametrize(
    ("account_id", "message"),
    [
        ("bank:ann:USD", "not an economy account id"),
        ("person:ann:usd", "not an economy account id"),
        ("person::USD", "not an economy account id"),
        ("pool:whales:USD", "the economy has no pool account 'whales'; known: creators, rewards"),
    ],
)
def test_unknown_account_ids_are_refused(account_id: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        account_spec(account_id)


def test_account_names_refuse_bad_currencies_empty_ids_and_ids_too_long() -> None:
    with pytest.raises(InputError, match="not a currency code"):
        person_account("ann", "dollars")
    with pytest.raises(InputError, match="needs a non-empty id"):
        creator_account("", "USD")
    with pytest.raises(InputError, match="ledger ids hold at most 128"):
        creator_account("c" * 120, "USD")


def test_transfer_ids_are_deterministic_and_fit_the_ledger() -> None:
    assert transfer_id("payout", "USD", "2024-W18", "c1") == "payout:USD:2024-W18:c1"
    long = transfer_id("quest", "USD", "2024-W18", "q" * 100, "u" * 100)
    assert len(long) == MAX_ID_LENGTH
    assert long == transfer_id("quest", "USD", "2024-W18", "q" * 100, "u" * 100)
    assert long != transfer_id("quest", "USD", "2024-W18", "q" * 100, "u" * 99 + "v")
    with pytest.raises(InputError, match="period is empty"):
        transfer_id("payout", "USD", "", "c1")


def test_postings_move_a_positive_amount_between_two_accounts() -> None:
    with pytest.raises(InputError, match="amount is 0"):
        Posting("t1", "a", "b", 0, TransferCode.AD_CHARGE)
    with pytest.raises(InputError, match="debits and credits the same account"):
        Posting("t1", "a", "a", 5, TransferCode.AD_CHARGE)
    posting = Posting("t1", "advertiser:a:USD", "platform:revenue:USD", 5, TransferCode.AD_CHARGE)
    assert (posting.code, posting.currency) == (102, "USD")
