"""The catalog's pricing rules as plain values: no ORM, so the pricing engine
(quoting/pricing.py) and the catalog's own reads share them. `catalog.selectors.version_pricing`
and `promotion_offer` build them from the models.

- A version's list price on a term (`TermPrice`, per unit: monthly and one-time installation).
- Volume tiers (`Tier`): the tier that holds the line's whole quantity prices every unit; a
  quantity outside every tier pays the term's list price (`unit_mrc`).
- The early-termination rule (`EtfRule`), the move fee, the floor per unit, whether
  installation may be waived (`VersionPricing`).
- Promotions (`PromotionOffer`): the first N months at X% or an amount per unit off, and/or
  installation waived, on the terms it names (none: every term), quotable from `valid_from`
  through `valid_to` (`promotion_applies`).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from headend.core.errors import ValidationError
from headend.core.money import ZERO


class EtfKind(StrEnum):
    NONE = "none"
    PERCENT_OF_REMAINING = "percent_of_remaining"
    FLAT = "flat"
    PER_REMAINING_MONTH = "per_remaining_month"


class MrcOffKind(StrEnum):
    NONE = "none"
    PERCENT = "percent"
    AMOUNT = "amount"  # per unit, per month


@dataclass(frozen=True, slots=True)
class TermPrice:
    """A version's list price on one term: monthly and one-time (installation), per unit."""

    term_months: int
    mrc_amount: Decimal
    nrc_amount: Decimal


@dataclass(frozen=True, slots=True)
class Tier:
    """A volume tier: quantities `min_quantity`..`max_quantity` (None: and above) pay `mrc_amount` a unit."""

    term_months: int
    min_quantity: int
    max_quantity: int | None
    mrc_amount: Decimal


@dataclass(frozen=True, slots=True)
class EtfRule:
    kind: str = EtfKind.NONE
    percent: Decimal = ZERO
    amount: Decimal = ZERO
    cap_amount: Decimal | None = None
    cap_months: int | None = None  # the fee counts at most this many of the months left
    on_downgrade: bool = False
    on_replace: bool = False


NO_ETF = EtfRule()


@dataclass(frozen=True, slots=True)
class VersionPricing:
    """Everything pricing needs from one product version."""

    prices: tuple[TermPrice, ...]
    tiers: tuple[Tier, ...] = ()
    floor_mrc_amount: Decimal | None = None  # per unit
    etf: EtfRule = NO_ETF
    move_fee_amount: Decimal = ZERO
    installation_waivable: bool = False


@dataclass(frozen=True, slots=True)
class PromotionOffer:
    code: str
    mrc_off_kind: str = MrcOffKind.NONE
    mrc_off_value: Decimal = ZERO
    months: int = 0
    waives_installation: bool = False
    terms: tuple[int, ...] = ()  # empty: every term
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


def term_price(prices: Iterable[TermPrice], term_months: int) -> TermPrice:
    """The list price on a term; ValidationError (term_months) if the version is not sold on it."""
    for price in prices:
        if price.term_months == term_months:
            return price
    raise ValidationError(
        f"Not sold on a {term_months}-month term." if term_months else "Not sold month-to-month.",
        field="term_months",
        code="term_not_offered",
    )


def tier_for(tiers: Iterable[Tier], *, term_months: int, quantity: int) -> Tier | None:
    """The volume tier that holds `quantity` on a term, if any."""
    for tier in tiers:
        if (
            tier.term_months == term_months
            and tier.min_quantity <= quantity
            and (tier.max_quantity is None or quantity <= tier.max_quantity)
        ):
            return tier
    return None


def unit_mrc(pricing: VersionPricing, *, term_months: int, quantity: int) -> Decimal:
    """Monthly price per unit: the volume tier's for the whole quantity, else the term's list price."""
    price = term_price(pricing.prices, term_months)
    tier = tier_for(pricing.tiers, term_months=term_months, quantity=quantity) if pricing.tiers else None
    return tier.mrc_amount if tier is not None else price.mrc_amount


def promotion_applies(offer: PromotionOffer, *, term_months: int, on: dt.date | None = None) -> bool:
    """Whether the promotion can be quoted on this term (and day, when given)."""
    if offer.terms and term_months not in offer.terms:
        return False
    if on is not None:
        if offer.valid_from is not None and on < offer.valid_from:
            return False
        if offer.valid_to is not None and on > offer.valid_to:
            return False
    return True
