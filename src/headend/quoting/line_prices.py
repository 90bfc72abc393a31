"""The one pricing path: every quote line is priced by the engine (`pricing.price_quote_line`) and
its prices are stored on the line here, the catalog read once per version (`PriceBook`)."""

import datetime as dt
from collections.abc import Sequence

from django.db import models
from simple_history.utils import bulk_update_with_history

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion, Promotion
from headend.core import clock
from headend.core.money import CENT, ZERO
from headend.quoting import pricing
from headend.quoting.models import Quote, QuoteLine

# The QuoteLine fields the engine sets.
PRICE_FIELDS = [
    "term_months",
    "quantity",
    "mrc_unit_amount",
    "nrc_unit_amount",
    "mrc_amount",
    "nrc_amount",
    "etf_amount",
    "mrc_before_amount",
    "contract_value_amount",
    "contract_value_change_amount",
    "quote_discount_amount",
    "promotion",
    "promo_mrc_amount",
    "promo_months",
    "floor_breached",
    "price_cut_percent",
]


class PriceBook:
    """The catalog's rules and promotions as the engine takes them, read once per version (and
    term) while pricing many lines."""

    def __init__(self) -> None:
        self._versions: dict[int, pricing.VersionPricing] = {}
        self._promotions: dict[tuple[int, int, dt.date], list[Promotion]] = {}
        self._offers: dict[int, pricing.PromotionOffer] = {}

    def version(self, version: ProductVersion) -> pricing.VersionPricing:
        if version.pk not in self._versions:
            self._versions[version.pk] = catalog_selectors.version_pricing(version=version)
        return self._versions[version.pk]

    def offer(self, promotion: Promotion) -> pricing.PromotionOffer:
        if promotion.pk not in self._offers:
            self._offers[promotion.pk] = catalog_selectors.promotion_offer(promotion=promotion)
        return self._offers[promotion.pk]

    def promotions(self, version: ProductVersion, term_months: int, on: dt.date) -> list[Promotion]:
        key = (version.pk, term_months, on)
        if key not in self._promotions:
            self._promotions[key] = catalog_selectors.promotions_for(version=version, term_months=term_months, on=on)
        return self._promotions[key]


def _line_request(line: QuoteLine, *, books: PriceBook, on: dt.date) -> pricing.LineRequest:
    """What the engine needs to price a line as it stands (its version, term, quantity, line
    discount, negotiated price, promotion; a change line's service as it is today). A promotion
    the line carries stays when it has ended since (the quote keeps it), so an add line's
    promotion is not checked against the day."""
    current = None
    service = line.target_service
    if line.action != QuoteLine.Action.ADD and service is not None:
        current = pricing.CurrentService(
            pricing=books.version(service.product_version),
            mrc_amount=service.mrc_amount,
            term_months=service.term_months,
            term_end_date=service.term_end_date,
            quantity=service.quantity,
        )
    percent = line.discount_percent
    return pricing.LineRequest(
        action=str(line.action),
        pricing=books.version(line.product_version),
        term_months=line.term_months,
        quantity=line.quantity,
        current=current,
        on=on if current is not None else None,
        discount=pricing.Discount(pricing.DiscountKind.PERCENT, percent) if percent else None,
        negotiated_mrc_amount=line.negotiated_mrc_amount,
        promotion=books.offer(line.promotion) if line.promotion is not None else None,
        set_nrc_unit_amount=line.nrc_set_amount,
    )


def _set_prices(line: QuoteLine, priced: pricing.PricedLine, *, books: PriceBook) -> None:
    """Store what the engine priced on the line (unsaved)."""
    line.term_months, line.quantity = priced.term_months, priced.quantity
    line.mrc_unit_amount = (priced.list_mrc_amount / priced.quantity).quantize(CENT)
    installed = priced.action in pricing.INSTALLED
    line.nrc_unit_amount = (
        (
            pricing.term_price(books.version(line.product_version).prices, priced.term_months).nrc_amount
            if line.nrc_set_amount is None
            else line.nrc_set_amount
        )
        if installed
        else ZERO
    )
    line.mrc_amount, line.mrc_before_amount = priced.mrc_amount, priced.mrc_before_amount
    line.nrc_amount, line.etf_amount = priced.nrc_amount + priced.move_fee_amount, priced.etf_amount
    line.contract_value_amount = priced.contract_value_amount
    line.contract_value_change_amount = priced.contract_value_change_amount
    line.quote_discount_amount = priced.quote_discount_amount
    line.promo_months = priced.promo_months
    line.promo_mrc_amount = priced.promo_mrc_amount if priced.promo_months else None
    line.floor_breached, line.price_cut_percent = priced.needs_approval, priced.price_cut_percent


def price_new_line(line: QuoteLine, *, books: PriceBook, on: dt.date, pick_promotion: bool = True) -> None:
    """Price a line through the engine (without the quote discount: `recompute_totals` spreads
    it). An add line takes the catalog's best promotion on sale on `on` for its term, if any."""
    price_new_lines([line], books=books, on=on, pick_promotion=pick_promotion)


def price_new_lines(lines: Sequence[QuoteLine], *, books: PriceBook, on: dt.date, pick_promotion: bool = True) -> None:
    """`price_new_line` for many lines at once: one engine call prices them all; a second prices
    again only the add lines a promotion was then picked for (the best on sale on `on` for the
    line's term, judged on its price without one)."""
    if pick_promotion:
        for line in lines:
            if line.action == QuoteLine.Action.ADD:
                line.promotion = None
    priced = list(pricing.price_quote(_line_request(line, books=books, on=on) for line in lines).lines)
    promoted = []
    for index, (line, plain) in enumerate(zip(lines, priced, strict=True)):
        if not pick_promotion or line.action != QuoteLine.Action.ADD:
            continue
        candidates = books.promotions(line.product_version, line.term_months, on)
        if not candidates:
            continue
        offers = {books.offer(promotion): promotion for promotion in candidates}
        best = pricing.best_promotion(
            offers,
            mrc_amount=plain.mrc_amount,
            nrc_amount=plain.nrc_amount,
            quantity=plain.quantity,
            months=plain.committed_months,
        )
        if best is not None:
            line.promotion = offers[best]
            promoted.append(index)
    if promoted:
        again = pricing.price_quote(_line_request(lines[index], books=books, on=on) for index in promoted).lines
        for index, priced_line in zip(promoted, again, strict=True):
            priced[index] = priced_line
    for line, priced_line in zip(lines, priced, strict=True):
        _set_prices(line, priced_line, books=books)


def price_quote_lines(quote: Quote, lines: list[QuoteLine], *, books: PriceBook, on: dt.date) -> list[QuoteLine]:
    """Price every line of a quote through the engine with the quote's discount spread over
    them; the lines whose prices moved, to save. `lines` have their versions, promotions and
    services loaded (`lines_to_price`)."""
    percent = quote.discount_percent
    discount = pricing.Discount(pricing.DiscountKind.PERCENT, percent) if percent else None
    priced = pricing.price_quote([_line_request(line, books=books, on=on) for line in lines], discount=discount)
    moved = []
    for line, priced_line in zip(lines, priced.lines, strict=True):
        before = [getattr(line, field) for field in PRICE_FIELDS]
        _set_prices(line, priced_line, books=books)
        if [getattr(line, field) for field in PRICE_FIELDS] != before:
            moved.append(line)
    return moved


def lines_to_price(lines: models.QuerySet[QuoteLine]) -> list[QuoteLine]:
    return list(
        lines.select_related("product_version", "promotion", "target_service__product_version")
        .prefetch_related(
            "product_version__prices",
            "product_version__tiers",
            "target_service__product_version__prices",
            "target_service__product_version__tiers",
        )
        .order_by("position")
    )


def spread_quote_discount(quote: Quote, *, books: PriceBook | None = None) -> None:
    """With a quote discount (or one just removed), every line's share moves: price them all."""
    if not quote.discount_percent and not quote.lines.exclude(quote_discount_amount=0).exists():
        return
    books = books or PriceBook()
    moved = price_quote_lines(quote, lines_to_price(quote.lines.all()), books=books, on=clock.today())
    bulk_update_with_history(moved, QuoteLine, PRICE_FIELDS)
