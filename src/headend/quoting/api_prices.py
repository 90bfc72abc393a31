"""A TMF648 quote's prices: its items' QuotePrices (with their discounts and promotions as
priceAlterations) and the quote's totals, by name (see api.py). Orders list their items' prices
the same way."""

from decimal import Decimal
from typing import Any

from ninja import Field

from headend.api.schemas import (
    AlterationPriceOut,
    PriceAlterationOut,
    PriceEntryOut,
    PriceOut,
    charges,
    money,
)
from headend.quoting.models import Quote, QuoteLine

# Price entry names (quoteItemPrice and quoteTotalPrice).
MONTHLY = "Monthly recurring charge"


CURRENT_MONTHLY = "Current monthly charge"


MONTHLY_CHANGE = "Monthly recurring charge change"


ETF = "Early-termination fee"


VALUE_CHANGE = "Contract value change"


CHANGE_VALUE = (
    "The contract value after the change: the new monthly charge over the months committed after the "
    "change, plus the one-time charge and the early-termination fee."
)


VALUE_CHANGE_DESCRIPTION = (
    "The contract value less the current monthly charge over the months of the current commitment the change releases."
)


class QuotePriceOut(PriceEntryOut):
    """A QuotePrice; a discounted recurring charge lists its discount as a priceAlteration."""

    price_alteration: list[PriceAlterationOut] | None = Field(default=None, serialization_alias="priceAlteration")


def _price(
    name: str,
    price_type: str,
    amount: Decimal,
    currency: str,
    *,
    description: str | None = None,
) -> QuotePriceOut:
    return QuotePriceOut(
        name=name,
        description=description,
        price_type=price_type,
        recurring_charge_period="month" if price_type == "recurring" else None,
        price=PriceOut(duty_free_amount=money(amount, currency)),
        type="QuotePrice",
    )


def item_prices(line: QuoteLine, currency: str) -> list[QuotePriceOut]:
    """The new monthly charge (with its discount), for a change the current one, the one-time
    charge, for a change the early-termination fee, and the contract value."""
    monthly, one_time, value = charges(
        mrc=line.mrc_amount,
        nrc=line.nrc_amount,
        contract_value=line.contract_value_amount,
        currency=currency,
        type_="QuotePrice",
        entry=QuotePriceOut,
    )
    alterations = []
    if line.discount_percent:
        percent = line.discount_percent.normalize()
        alterations.append(
            PriceAlterationOut(
                name="Discount",
                description=f"{percent:f}% off the list monthly charge.",
                price_type="recurring",
                recurring_charge_period="month",
                price=AlterationPriceOut(percentage=line.discount_percent),
            )
        )
    if line.quote_discount_amount:
        alterations.append(
            PriceAlterationOut(
                name="Quote discount",
                description="This item's share of the quote discount.",
                price_type="recurring",
                recurring_charge_period="month",
                price=AlterationPriceOut(duty_free_amount=money(line.quote_discount_amount, currency)),
            )
        )
    alterations.extend(promotion_alterations(line, currency))
    monthly.price_alteration = alterations or None
    if not line.is_change:
        return [monthly, one_time, value]
    current = _price(
        CURRENT_MONTHLY,
        "recurring",
        line.mrc_before_amount,
        currency,
        description="The service's monthly charge before the change.",
    )
    etf = _price(
        ETF,
        "oneTime",
        line.etf_amount,
        currency,
        description="Charged when the change ends the service's commitment early.",
    )
    value.description = CHANGE_VALUE
    change = _price(
        VALUE_CHANGE, "total", line.contract_value_change_amount, currency, description=VALUE_CHANGE_DESCRIPTION
    )
    return [monthly, current, one_time, etf, value, change]


def promotion_alterations(line: Any, currency: str) -> list[PriceAlterationOut]:
    """A quote or order line's promotion as PriceAlterations of its monthly charge: the
    promotional charge for `applicationDuration` months, and/or installation waived (its
    `promotion` loaded)."""
    promotion = line.promotion
    if promotion is None:
        return []
    alterations = []
    if line.promo_months and line.promo_mrc_amount is not None:
        months = line.promo_months
        alterations.append(
            PriceAlterationOut(
                name=promotion.name,
                description=(
                    f"Promotion {promotion.code}: {line.promo_mrc_amount} {currency} a month "
                    f"for the first {months} month{'s' if months != 1 else ''}."
                ),
                price_type="recurring",
                recurring_charge_period="month",
                application_duration=months,
                price=AlterationPriceOut(duty_free_amount=money(line.mrc_amount - line.promo_mrc_amount, currency)),
            )
        )
    if promotion.waives_installation:
        alterations.append(
            PriceAlterationOut(
                name=promotion.name,
                description=f"Promotion {promotion.code}: installation waived.",
                price_type="oneTime",
                price=AlterationPriceOut(percentage=Decimal(100)),
            )
        )
    return alterations


def total_prices(quote: Quote, lines: list[QuoteLine]) -> list[QuotePriceOut]:
    """The quote's new monthly recurring charge, one-time charge (installation, move fees and
    early-termination fees), contract value and, when it changes services, the monthly change."""
    entries = charges(
        mrc=quote.mrr_amount,
        nrc=quote.one_time_amount,
        contract_value=quote.contract_value_amount,
        currency=quote.currency,
        type_="QuotePrice",
        entry=QuotePriceOut,
    )
    if quote.discount_percent:
        percent = quote.discount_percent.normalize()
        entries[0].price_alteration = [
            PriceAlterationOut(
                name="Quote discount",
                description=f"{percent:f}% off the monthly charges of the items priced from the catalog, "
                "spread over them (each item lists its share).",
                price_type="recurring",
                recurring_charge_period="month",
                price=AlterationPriceOut(percentage=quote.discount_percent),
            )
        ]
    if any(line.is_change for line in lines):
        entries[1].description = "Installation, move fees and early-termination fees."
        change = _price(
            MONTHLY_CHANGE,
            "recurring",
            quote.mrr_change_amount,
            quote.currency,
            description="The new monthly recurring charge less the current monthly charge of the services changed.",
        )
        entries.insert(1, change)
        entries.append(
            _price(
                VALUE_CHANGE,
                "total",
                quote.contract_value_change_amount,
                quote.currency,
                description="The items' contract value changes: against what the customer pays today.",
            )
        )
    return entries
