"""Line pricing as plain functions of plain values: no ORM, exact to the cent. One quote line
is priced on its own here (`price_quote_line`); quoting/pricing.py spreads the quote discount
over the lines and totals the quote, and re-exports this module for callers.

Each line is rounded once (half-up). The catalog stores the rules as the plain values of
catalog/pricing_rules.py (catalog/selectors.py `version_pricing` turns a version into a
`VersionPricing`); this module applies them:

- Tiers are *volume* tiers: the tier that holds the line's whole quantity prices every unit
  (12 voice lines in the 10-24 tier all pay the 10-24 price). A quantity outside every tier pays
  the term's list price.
- A line's monthly charge: list (tier or term price, times quantity, rounded), less the line
  discount (percent of the list, or an amount off the line per month), less the line's share of
  the quote discount. A discount larger than what it applies to is refused, never clamped.
- Floor: a monthly charge below the version's floor per unit times the quantity is allowed but
  marks the line `needs_approval` with the reason; it is never raised to the floor. Promotions
  are the catalog's own offers and are not held to the floor.
- Promotions: the first N months at X% or an amount per unit off the (discounted) monthly
  charge, never below zero; N is capped at the months committed. The line shows the regular
  and the promotional monthly charge and the months, and its contract value counts both.
  A promotion may waive installation. One promotion per line; `best_promotion` picks one.
- Installation (the term price's one-time charge) is charged on add, add-on and replace lines.
  Waiving it sets it to zero and flags the line; on a version whose installation is not
  waivable, a waiver the promotion does not grant needs approval.
- Contract value has one meaning on every line: what the customer pays on the line's terms,
  the monthly charges over the months committed (promotional months at the promotional charge)
  plus the one-time charges (installation, move fee, ETF). Beside it, its change against what
  the customer pays today: the contract value less the current monthly charge over the months
  of the current commitment the line releases (for a new service, the change is the value).
- Change lines are deltas against the service as it is (`CurrentService`): before and after
  monthly charges and one-time charges (move fee, installation, ETF).
  Re-term always starts a new term of the requested length on the change day; other changes keep
  the current term (and its end date) unless a different term length is asked for.
- Months remaining in a term: from the change day (the first day on the new terms, or without
  service for a cancel) through the term's last day; a started month counts as a whole one. On
  the term's last day one month remains; the day after, none. Month-to-month and out-of-term
  services commit one month, as a new month-to-month line does.
- ETF, by the *current* version's rule, only inside the term: on a cancel always; on a
  downgrade or replace only when the version says so (`on_downgrade`, `on_replace`); never on an
  upgrade, add-on, re-term, re-rate or move. Rules: a percent of the remaining monthly charges
  (percent x current monthly charge x months remaining), a flat amount, or an amount per
  remaining month; each optionally capped.
- A move keeps the product, price and term and charges the current version's move fee.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from headend.catalog.pricing_rules import (
    EtfKind,
    EtfRule,
    MrcOffKind,
    PromotionOffer,
    VersionPricing,
    promotion_applies,
    term_price,
    unit_mrc,
)
from headend.core.errors import ValidationError
from headend.core.money import CENT, ZERO, line_amount, round_cents
from headend.core.periods import add_months

HUNDRED = Decimal(100)


def committed_months(term_months: int) -> int:
    """Months of revenue a term commits: month-to-month commits one month."""
    return max(term_months, 1)


# The actions a line takes; quoting/pricing.py re-exports them with the catalog's rules.


class Action(StrEnum):
    ADD = "add"
    ADD_ON = "add_on"
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    RE_TERM = "re_term"
    RE_RATE = "re_rate"
    MOVE = "move"
    REPLACE = "replace"
    CANCEL = "cancel"


NEW_SERVICE = frozenset({Action.ADD, Action.ADD_ON})
# Priced from the target version's catalog price on the line's term.
CATALOG_PRICED = frozenset(
    {Action.ADD, Action.ADD_ON, Action.UPGRADE, Action.DOWNGRADE, Action.REPLACE, Action.RE_TERM}
)
INSTALLED = frozenset({Action.ADD, Action.ADD_ON, Action.REPLACE})


class DiscountKind(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


@dataclass(frozen=True, slots=True)
class Discount:
    """Percent of, or an amount off, a monthly charge (a line's, or the quote's)."""

    kind: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class CurrentService:
    """The service a change line acts on, as it is billed today."""

    pricing: VersionPricing  # its current version's rules (ETF, move fee, floor)
    mrc_amount: Decimal  # the whole monthly charge of the service
    term_months: int
    term_end_date: dt.date | None  # last day of the term; None for month-to-month
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class LineRequest:
    """One quote line to price.

    `pricing` is the version the line sells (add, add-on, upgrade, downgrade, replace; re-term
    defaults to the current version). `term_months` and `quantity` default to the current
    service's for change lines. `on` is the day a change takes effect (and the day promotion
    dates are checked against). `negotiated_mrc_amount` is the re-rated monthly price per unit."""

    action: str = Action.ADD
    pricing: VersionPricing | None = None
    term_months: int | None = None
    quantity: int | None = None
    current: CurrentService | None = None
    on: dt.date | None = None
    discount: Discount | None = None
    negotiated_mrc_amount: Decimal | None = None
    promotion: PromotionOffer | None = None
    waive_installation: bool = False
    # A one-time charge per unit set outside the catalog (a construction charge priced by distance).
    set_nrc_unit_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    action: str
    term_months: int
    quantity: int
    list_mrc_amount: Decimal  # before discounts: catalog (tier or term) price, negotiated price, or today's
    line_discount_amount: Decimal  # per month
    quote_discount_amount: Decimal  # this line's share of the quote discount, per month
    mrc_amount: Decimal  # the regular monthly charge after the change (0 for a cancel)
    promo_mrc_amount: Decimal  # the monthly charge during the promotion (= mrc_amount without one)
    promo_months: int
    nrc_amount: Decimal  # installation, after any waiver
    move_fee_amount: Decimal
    etf_amount: Decimal
    mrc_before_amount: Decimal  # the service's monthly charge before the change (0 for a new service)
    committed_months: int  # months the new monthly charge is committed
    released_months: int  # months of the current commitment the change releases
    contract_value_amount: Decimal  # the line's total over its term: monthly x months committed + one-time
    floor_amount: Decimal | None  # the line's floor: floor per unit x quantity (None: no floor check)
    installation_waived: bool
    needs_approval: bool
    reasons: tuple[str, ...]
    promotion: PromotionOffer | None = None
    quote_discountable: bool = False
    waiver_reason: str = ""
    # The catalog's monthly charge for what the line sells (None: nothing to compare, a cancel),
    # and how far below it the line is priced, in percent: what the discount rules look at.
    catalog_mrc_amount: Decimal | None = None
    price_cut_percent: Decimal = ZERO
    # The contract value less what the customer pays today over the months the line releases.
    contract_value_change_amount: Decimal = ZERO

    @property
    def mrc_change_amount(self) -> Decimal:
        return self.mrc_amount - self.mrc_before_amount

    @property
    def one_time_amount(self) -> Decimal:
        return self.nrc_amount + self.move_fee_amount + self.etf_amount


# Lookups.


def months_remaining(term_end_date: dt.date | None, on: dt.date) -> int:
    """Whole months from `on` through the term's last day, a started month counting as one;
    0 after the term or without one."""
    if term_end_date is None or on > term_end_date:
        return 0
    after_end = term_end_date + dt.timedelta(days=1)
    months = max((after_end.year - on.year) * 12 + after_end.month - on.month - 1, 0)
    while add_months(on, months) < after_end:
        months += 1
    return months


def etf_amount(rule: EtfRule, *, mrc_amount: Decimal, months_left: int) -> Decimal:
    """The early-termination fee with `months_left` months of the term to run (none outside the term)."""
    if months_left <= 0 or rule.kind == EtfKind.NONE:
        return ZERO
    if rule.cap_months is not None:
        months_left = min(months_left, rule.cap_months)
    if rule.kind == EtfKind.PERCENT_OF_REMAINING:
        fee = round_cents(mrc_amount * months_left * rule.percent / HUNDRED)
    elif rule.kind == EtfKind.FLAT:
        fee = round_cents(rule.amount)
    elif rule.kind == EtfKind.PER_REMAINING_MONTH:
        fee = round_cents(rule.amount * months_left)
    else:
        raise ValidationError(f"Unknown ETF rule {rule.kind!r}.", field="etf_kind", code="invalid_choice")
    if rule.cap_amount is not None:
        fee = min(fee, round_cents(rule.cap_amount))
    return fee


def discount_amount(amount: Decimal, discount: Discount | None, *, field: str = "discount") -> Decimal:
    """What `discount` takes off `amount` (rounded once); ValidationError for a negative discount,
    a percent above 100 or an amount above `amount`."""
    if discount is None:
        return ZERO
    value = discount.value
    if value < 0:
        raise ValidationError("A discount cannot be negative.", field=field, code="invalid_discount")
    if discount.kind == DiscountKind.PERCENT:
        if value > HUNDRED:
            raise ValidationError("A discount cannot exceed 100%.", field=field, code="discount_above_100")
        return round_cents(amount * value / HUNDRED)
    if discount.kind == DiscountKind.AMOUNT:
        off = round_cents(value)
        if off > amount:
            raise ValidationError(
                f"A discount of {off} is more than the {amount} it applies to.",
                field=field,
                code="discount_above_price",
            )
        return off
    raise ValidationError(f"Unknown discount kind {discount.kind!r}.", field=field, code="invalid_choice")


def best_promotion(
    offers: Iterable[PromotionOffer], *, mrc_amount: Decimal, nrc_amount: Decimal, quantity: int, months: int
) -> PromotionOffer | None:
    """The offer that saves the customer most over `months` (ties: the first), or None."""
    best, best_saving = None, ZERO
    for offer in offers:
        off = _promotion_off(offer, mrc_amount, quantity)
        saving = off * min(offer.months, months) + (nrc_amount if offer.waives_installation else ZERO)
        if saving > best_saving:
            best, best_saving = offer, saving
    return best


def _promotion_off(offer: PromotionOffer, mrc: Decimal, quantity: int) -> Decimal:
    if offer.mrc_off_kind == MrcOffKind.PERCENT:
        return round_cents(mrc * offer.mrc_off_value / HUNDRED)
    if offer.mrc_off_kind == MrcOffKind.AMOUNT:
        return min(mrc, round_cents(offer.mrc_off_value * quantity))
    return ZERO


# Lines.


def price_cut_percent(catalog: Decimal | None, charged: Decimal) -> Decimal:
    """How far below the catalog's monthly charge `charged` is, in percent, rounded up to the
    hundredth (a cut of 10.001% is above 10%); 0 at or above the catalog price or without one."""
    if catalog is None or catalog <= 0 or charged >= catalog:
        return ZERO
    return ((catalog - charged) * HUNDRED / catalog).quantize(CENT, rounding=ROUND_CEILING)


def _catalog_mrc(
    action: Action, pricing: VersionPricing, *, term: int, quantity: int, list_mrc: Decimal
) -> Decimal | None:
    """What the catalog asks a month for the line: its list price, except for a re-rate (the
    version's price on the term, or today's when the term is no longer sold), a move (today's
    price) and a cancel (nothing)."""
    if action == Action.CANCEL:
        return None
    if action == Action.RE_RATE:
        try:
            return line_amount(unit_mrc(pricing, term_months=term, quantity=quantity), quantity)
        except ValidationError:
            return None
    return list_mrc


def _check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValidationError(
            "Quantity must be a whole number of at least 1.", field="quantity", code="invalid_quantity"
        )
    return quantity


def price_quote_line(request: LineRequest) -> PricedLine:
    """Price one line on its own (no quote discount): an add, or a change as a delta against the
    current service. ValidationError names the field at fault."""
    try:
        action = Action(request.action)
    except ValueError as exc:
        raise ValidationError(f"Unknown action {request.action!r}.", field="action", code="invalid_choice") from exc
    current = request.current
    is_change = action not in NEW_SERVICE
    if is_change and current is None:
        raise ValidationError("A change line needs the service it changes.", field="service", code="required")
    if is_change and request.on is None:
        raise ValidationError("A change line needs the day it takes effect.", field="on", code="required")

    # The version whose prices and rules the line takes.
    pricing = request.pricing
    if action in (Action.RE_TERM, Action.RE_RATE, Action.MOVE, Action.CANCEL) and current is not None:
        pricing = pricing if action == Action.RE_TERM and pricing is not None else current.pricing
    if pricing is None:
        raise ValidationError("Choose the product version to price.", field="product_version", code="required")

    quantity = request.quantity
    if quantity is None or action in (Action.MOVE, Action.CANCEL):
        quantity = current.quantity if (is_change and current is not None) else 1
    quantity = _check_quantity(quantity)

    term = request.term_months
    if term is None or action in (Action.MOVE, Action.CANCEL):
        if current is not None and is_change:
            term = current.term_months
        else:
            raise ValidationError("Choose a contract term.", field="term_months", code="required")
    if action == Action.RE_TERM and request.term_months is None:
        raise ValidationError("A re-term needs the new term.", field="term_months", code="required")

    months_left, released, mrc_before = 0, 0, ZERO
    if is_change and current is not None and request.on is not None:
        months_left = months_remaining(current.term_end_date, request.on)
        released = committed_months(months_left)
        mrc_before = current.mrc_amount
    new_term = not is_change or action == Action.RE_TERM or (current is not None and term != current.term_months)
    committed = committed_months(term) if new_term else committed_months(months_left)

    # The monthly charge before discounts.
    if action in CATALOG_PRICED:
        list_mrc = line_amount(unit_mrc(pricing, term_months=term, quantity=quantity), quantity)
    elif action == Action.RE_RATE:
        negotiated = request.negotiated_mrc_amount
        if negotiated is None or negotiated < 0:
            raise ValidationError(
                "A re-rate needs the negotiated monthly price, not negative.",
                field="negotiated_mrc_amount",
                code="invalid_amount",
            )
        list_mrc = line_amount(negotiated, quantity)
    elif action == Action.MOVE:
        list_mrc = mrc_before
    else:  # cancel
        list_mrc, committed = ZERO, 0

    if action == Action.CANCEL and (request.discount is not None or request.promotion is not None):
        raise ValidationError("A cancel has no monthly charge to discount.", field="discount", code="invalid_discount")
    line_discount = discount_amount(list_mrc, request.discount)

    promotion = request.promotion
    if promotion is not None and not promotion_applies(promotion, term_months=term, on=request.on):
        raise ValidationError(
            f"Promotion {promotion.code!r} does not apply to this term or day.",
            field="promotion",
            code="promotion_not_eligible",
        )

    nrc, waived, waiver_reason = ZERO, False, ""
    if action in INSTALLED:
        unit = request.set_nrc_unit_amount
        full_nrc = line_amount(term_price(pricing.prices, term).nrc_amount if unit is None else unit, quantity)
        by_promotion = promotion is not None and promotion.waives_installation
        if full_nrc > 0 and (request.waive_installation or by_promotion):
            waived = True
            if not by_promotion and not pricing.installation_waivable:
                waiver_reason = f"Installation of {full_nrc} waived; this product's installation is not waivable."
        else:
            nrc = full_nrc

    move_fee = round_cents(pricing.move_fee_amount) if action == Action.MOVE else ZERO

    etf = ZERO
    if current is not None:
        rule = current.pricing.etf
        if (
            action == Action.CANCEL
            or (action == Action.DOWNGRADE and rule.on_downgrade)
            or (action == Action.REPLACE and rule.on_replace)
        ):
            etf = etf_amount(rule, mrc_amount=mrc_before, months_left=months_left)

    # A move keeps today's price: its floor is checked only if the move also discounts it.
    floor = None
    sets_price = action not in (Action.CANCEL, Action.MOVE) or (action == Action.MOVE and request.discount is not None)
    if pricing.floor_mrc_amount is not None and sets_price:
        floor = line_amount(pricing.floor_mrc_amount, quantity)

    draft = PricedLine(
        action=action,
        term_months=term,
        quantity=quantity,
        list_mrc_amount=list_mrc,
        line_discount_amount=line_discount,
        quote_discount_amount=ZERO,
        mrc_amount=ZERO,
        promo_mrc_amount=ZERO,
        promo_months=0,
        nrc_amount=nrc,
        move_fee_amount=move_fee,
        etf_amount=etf,
        mrc_before_amount=mrc_before,
        committed_months=committed,
        released_months=released,
        contract_value_amount=ZERO,
        floor_amount=floor,
        installation_waived=waived,
        needs_approval=False,
        reasons=(),
        promotion=promotion,
        quote_discountable=action in CATALOG_PRICED,
        waiver_reason=waiver_reason,
        catalog_mrc_amount=_catalog_mrc(action, pricing, term=term, quantity=quantity, list_mrc=list_mrc),
    )
    if action == Action.RE_RATE and draft.catalog_mrc_amount is None:
        draft = replace(draft, catalog_mrc_amount=mrc_before)
    return finish_line(draft, ZERO)


def finish_line(line: PricedLine, quote_share: Decimal) -> PricedLine:
    """The line's monthly charges, contract value and approval flags given its quote-discount share."""
    mrc = line.list_mrc_amount - line.line_discount_amount - quote_share
    promotion = line.promotion
    promo_mrc, promo_months = mrc, 0
    if promotion is not None and promotion.mrc_off_kind != MrcOffKind.NONE:
        promo_months = min(promotion.months, line.committed_months)
        promo_mrc = mrc - _promotion_off(promotion, mrc, line.quantity)
    contract_value = (
        promo_mrc * promo_months
        + mrc * (line.committed_months - promo_months)
        + line.nrc_amount
        + line.move_fee_amount
        + line.etf_amount
    )
    change = contract_value - line.mrc_before_amount * line.released_months
    # A promotion is the catalog's own offer; stacked on a discount, the line is cut to its price.
    stacked = promotion is not None and (line.line_discount_amount > 0 or quote_share > 0)
    cut = price_cut_percent(line.catalog_mrc_amount, promo_mrc if stacked else mrc)
    reasons: tuple[str, ...] = (line.waiver_reason,) if line.waiver_reason else ()
    if line.floor_amount is not None and mrc < line.floor_amount:
        reasons += (f"Monthly charge {mrc} is below the floor of {line.floor_amount}.",)
    return replace(
        line,
        quote_discount_amount=quote_share,
        mrc_amount=mrc,
        promo_mrc_amount=promo_mrc,
        promo_months=promo_months,
        contract_value_amount=contract_value,
        contract_value_change_amount=change,
        needs_approval=bool(reasons),
        reasons=reasons,
        price_cut_percent=cut,
    )
