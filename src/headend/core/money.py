"""Money: Decimal amounts beside one currency; rounding happens once, at the line.

Amounts people and programs send are read by core.numbers.parse_amount (finite, to the cent,
no wider than the column)."""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def default_currency() -> str:
    return settings.HEADEND_CURRENCY


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(unit: Decimal, quantity: int = 1, factor: Decimal = Decimal(1)) -> Decimal:
    """Round once, here, half-up to the cent; totals are sums of these."""
    return round_cents(unit * quantity * factor)


def total(amounts: Iterable[Decimal]) -> Decimal:
    """The sum of already-rounded line amounts (never re-rounded)."""
    return sum(amounts, ZERO)


def format_amount(amount: Decimal | None, currency: str | None = None) -> str:
    """`$1,234.50` for USD, `1,234.50 EUR` for the rest; negative amounts keep their sign."""
    if amount is None:
        return ""
    currency = currency or default_currency()
    sign = "-" if amount < 0 else ""
    body = f"{abs(round_cents(amount)):,.2f}"
    if currency == "USD":
        return f"{sign}${body}"
    return f"{sign}{body} {currency}"
