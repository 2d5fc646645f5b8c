"""Ad charges: advertisers pay the auction price for verified attention, within budget.

An impression is charged ``charge_minor(price_per_second, verified_ms)``: the price the
auction set per attentive second, times the attention that was verified, rounded
down. Unverified attention is never charged. A campaign's charges for the period are
summed and capped at what its budget has left.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mindshare.ads import charge_minor
from mindshare.core import InputError
from mindshare.economy._accounts import (
    Posting,
    TransferCode,
    advertiser_account,
    advertiser_funding_account,
    platform_revenue_account,
    transfer_id,
    user_data,
)


@dataclass(frozen=True, slots=True)
class AdImpression:
    """An ad shown to a person: its auction price per attentive second and verified ms."""

    campaign_id: str
    advertiser_id: str
    user_id: str
    item_id: str
    price_per_second: float
    verified_ms: int


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """One campaign's charge for the period: what its attention cost, and what was charged."""

    campaign_id: str
    advertiser_id: str
    impressions: int
    verified_ms: int
    owed_minor: int
    charged_minor: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChargePlan:
    """A period's ad charges and the transfers that collect them."""

    lines: tuple[ChargeLine, ...]
    postings: tuple[Posting, ...]

    @property
    def ad_revenue_minor(self) -> int:
        """What advertisers pay the platform this period, all together."""
        return sum(line.charged_minor for line in self.lines)

    def statement_rows(self) -> list[dict[str, str | int]]:
        """One row per campaign, for a printed statement."""
        return [
            {
                "campaign_id": line.campaign_id,
                "advertiser_id": line.advertiser_id,
                "impressions": line.impressions,
                "verified_ms": line.verified_ms,
                "owed_minor": line.owed_minor,
                "charged_minor": line.charged_minor,
                "note": line.note,
            }
            for line in self.lines
        ]


def charge_caps(
    campaigns: Mapping[str, tuple[str, int]],
    charged_campaigns: Sequence[str],
    *,
    days: int,
    available_minor: Mapping[str, int],
) -> dict[str, int]:
    """What each campaign may be charged for a period of ``days``: its daily budget times
    the days, within what its advertiser's account holds (shared by the advertiser's
    campaigns in campaign-id order).

    ``campaigns`` maps campaign id to (advertiser id, daily budget); ``available_minor``
    maps advertiser id to their account's available balance.

    Examples
    --------
    >>> charge_caps({"a": ("acme", 100), "b": ("acme", 100)}, ["b", "a"], days=2,
    ...             available_minor={"acme": 300})
    {'a': 200, 'b': 100}
    """
    funds = dict(available_minor)
    caps: dict[str, int] = {}
    for campaign_id in sorted(set(charged_campaigns)):
        advertiser, daily_budget = campaigns[campaign_id]
        caps[campaign_id] = max(0, min(daily_budget * days, funds.get(advertiser, 0)))
        funds[advertiser] = funds.get(advertiser, 0) - caps[campaign_id]
    return caps


def settle_ad_charges(
    impressions: Sequence[AdImpression],
    remaining_budget_minor: Mapping[str, int],
    *,
    currency: str,
    period: str,
) -> ChargePlan:
    """Charge each campaign for the verified attention its ads earned, within its budget.

    ``remaining_budget_minor`` maps every campaign among ``impressions`` to what its
    budget has left. A campaign's charges go from its advertiser's account to platform
    revenue, one transfer per campaign and period.

    Examples
    --------
    >>> plan = settle_ad_charges(
    ...     [AdImpression("c1", "acme", "ann", "ad1", 0.29, 100_000),
    ...      AdImpression("c1", "acme", "bob", "ad1", 0.29, 0)],
    ...     {"c1": 1_000}, currency="USD", period="w1",
    ... )
    >>> plan.ad_revenue_minor, plan.lines[0].impressions
    (29, 2)
    """
    by_campaign: dict[str, list[AdImpression]] = {}
    for impression in impressions:
        by_campaign.setdefault(impression.campaign_id, []).append(impression)
    lines: list[ChargeLine] = []
    postings: list[Posting] = []
    for campaign_id in sorted(by_campaign):
        rows = by_campaign[campaign_id]
        advertisers = sorted({row.advertiser_id for row in rows})
        if len(advertisers) > 1:
            raise InputError(
                f"campaign {campaign_id!r} has impressions of several advertisers "
                f"({', '.join(map(repr, advertisers))}); a campaign belongs to one"
            )
        if campaign_id not in remaining_budget_minor:
            raise InputError(f"campaign {campaign_id!r} has impressions but no remaining budget")
        remaining = remaining_budget_minor[campaign_id]
        if isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 0:
            raise InputError(
                f"campaign {campaign_id!r}: remaining budget is {remaining!r}; it must be a "
                "whole number of minor units ≥ 0"
            )
        owed = sum(charge_minor(row.price_per_second, row.verified_ms) for row in rows)
        charged = min(owed, remaining)
        note = ""
        if charged < owed:
            note = f"capped at the remaining budget: {owed - charged} not charged"
        advertiser_id = advertisers[0]
        lines.append(
            ChargeLine(
                campaign_id=campaign_id,
                advertiser_id=advertiser_id,
                impressions=len(rows),
                verified_ms=sum(row.verified_ms for row in rows),
                owed_minor=owed,
                charged_minor=charged,
                note=note,
            )
        )
        if charged > 0:
            postings.append(
                Posting(
                    transfer_id=transfer_id("charge", currency, period, campaign_id),
                    debit_account_id=advertiser_account(advertiser_id, currency),
                    credit_account_id=platform_revenue_account(currency),
                    amount=charged,
                    code=TransferCode.AD_CHARGE,
                    user_data=user_data(f"ad charge: campaign {campaign_id}, {period}"),
                )
            )
    return ChargePlan(lines=tuple(lines), postings=tuple(postings))


def fund_advertiser(
    advertiser_id: str, amount_minor: int, *, currency: str, reference: str
) -> Posting:
    """A deposit into an advertiser's account; ``reference`` (a payment id) makes it once."""
    return Posting(
        transfer_id=transfer_id("funding", currency, reference, advertiser_id),
        debit_account_id=advertiser_funding_account(currency),
        credit_account_id=advertiser_account(advertiser_id, currency),
        amount=amount_minor,
        code=TransferCode.ADVERTISER_FUNDING,
        user_data=user_data(f"deposit {reference} by advertiser {advertiser_id}"),
    )
