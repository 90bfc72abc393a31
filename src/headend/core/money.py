"""Money: Decimal amounts beside one currency; rounding happens once, at the line."""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def default_currency() -> str:
    return settings.HEADEND_CURRENCY


def to_decimal(value: object) -> Decimal:
    """A Decimal from a string, int or Decimal; floats are refused because they are inexact."""
    if isinstance(value, float):
        raise TypeError("Money is never a float; pass a string or a Decimal.")
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise ValueError(f"Not an amount: {value!r}") from exc


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
