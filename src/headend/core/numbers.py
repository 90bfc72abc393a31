"""Numbers as people and programs send them: amounts, percentages and whole numbers.

One parser for each, used by the staff forms (core/forms.py), the API's schema types
(api/schemas.py), the URL converter (core/converters.py) and the imports, so that `NaN`,
`Infinity`, `1e999999`, an amount wider than its column or a digit that is not ASCII (`²`) is
a ValidationError naming the field, never a 500 from Decimal arithmetic or from the database."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from headend.core.errors import ValidationError

# The columns: DecimalField(max_digits=12, decimal_places=2) for money, (5, 2) for percents.
AMOUNT_DIGITS, AMOUNT_PLACES = 12, 2
PERCENT_DIGITS, PERCENT_PLACES = 5, 2
# Integer columns: IntegerField and PositiveIntegerField hold 32 bits on PostgreSQL;
# BigIntegerField (and every id) 64 bits, which is also all SQLite's INTEGER holds.
MAX_INT = 2**31 - 1
MAX_BIGINT = 2**63 - 1
# A number written longer than this is not one we store; refusing it early bounds the work.
MAX_NUMBER_TEXT = 64

DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?")
INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")


def parse_decimal(
    value: Any,
    *,
    field: str | None,
    max_digits: int,
    decimal_places: int,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    code: str = "invalid_number",
    example: str = "12.50",
) -> Decimal:
    """A finite Decimal that fits a DecimalField(max_digits, decimal_places), within
    [minimum, maximum] when given, from a string of ASCII digits, an int or a Decimal.

    Floats are refused (inexact), as are NaN, Infinity, more decimal places than the column has
    and more digits before the point than it holds. ValidationError names `field`."""
    number = _decimal(value, field=field, code=code, example=example)
    whole_digits = max_digits - decimal_places
    if abs(number) >= Decimal(10) ** whole_digits:  # compared before quantize, which fails on 1e999999
        largest = Decimal(10) ** whole_digits - Decimal(1).scaleb(-decimal_places)
        message = f"Enter a number with at most {whole_digits} digits before the decimal point (up to {largest:,})."
        raise ValidationError(message, field=field, code=code)
    step = Decimal(1).scaleb(-decimal_places)
    fitted = number.quantize(step)
    if fitted != number:
        places = "no decimal places" if decimal_places == 0 else f"at most {decimal_places} decimal places"
        raise ValidationError(f"Enter a number with {places}.", field=field, code=code)
    if (minimum is not None and fitted < minimum) or (maximum is not None and fitted > maximum):
        raise ValidationError(_range(minimum, maximum, "a number"), field=field, code=code)
    return fitted + 0  # + 0 turns -0.00 into 0.00


def parse_amount(
    value: Any,
    *,
    field: str | None,
    max_digits: int = AMOUNT_DIGITS,
    decimal_places: int = AMOUNT_PLACES,
    minimum: Decimal | int | None = 0,
    maximum: Decimal | int | None = None,
    code: str = "invalid_amount",
) -> Decimal:
    """An amount of money to the cent (not negative unless `minimum` says so): see parse_decimal."""
    return parse_decimal(
        value,
        field=field,
        max_digits=max_digits,
        decimal_places=decimal_places,
        minimum=minimum,
        maximum=maximum,
        code=code,
        example="79.00",
    )


def parse_percent(
    value: Any,
    *,
    field: str | None,
    minimum: Decimal | int = 0,
    maximum: Decimal | int = 100,
    code: str = "invalid_percent",
) -> Decimal:
    """A percentage, 0 to 100 with two decimal places unless told otherwise: see parse_decimal."""
    return parse_decimal(
        value,
        field=field,
        max_digits=PERCENT_DIGITS,
        decimal_places=PERCENT_PLACES,
        minimum=minimum,
        maximum=maximum,
        code=code,
        example="12.5",
    )


def parse_int(
    value: Any,
    *,
    field: str | None,
    minimum: int | None = 0,
    maximum: int | None = MAX_INT,
    code: str = "invalid_number",
) -> int:
    """A whole number in [minimum, maximum] (None: unbounded on that side) from ASCII digits
    (an optional sign, surrounding spaces; at most MAX_NUMBER_TEXT characters) or an int;
    `²`, `٣`, `1_000`, `1.0`, `1e3`, bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError("Enter a whole number.", field=field, code=code)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_TEXT or not INTEGER_TEXT.fullmatch(text):
            raise ValidationError("Enter a whole number, in digits 0-9.", field=field, code=code)
        value = int(text)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValidationError(_range(minimum, maximum, "a whole number"), field=field, code=code)
    return value


def _decimal(value: Any, *, field: str | None, code: str, example: str) -> Decimal:
    message = f"Enter a number such as {example}, in digits 0-9."
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ValidationError(message, field=field, code=code)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_TEXT or not DECIMAL_TEXT.fullmatch(text):
            raise ValidationError(message, field=field, code=code)
        value = text
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValidationError(message, field=field, code=code) from None
    if not number.is_finite():
        raise ValidationError(message, field=field, code=code)
    return number


def _range(minimum: Decimal | int | None, maximum: Decimal | int | None, what: str) -> str:
    if minimum is not None and maximum is not None:
        return f"Enter {what} from {minimum:,} to {maximum:,}."
    if minimum is not None:
        return f"Enter {what} of at least {minimum:,}."
    return f"Enter {what} of at most {maximum:,}."


def revision_letter(revision: int) -> str:
    """What customers see for a quote's revision: A, B, ... Z, AA, AB, ... (never "version 1")."""
    letters, n = "", max(int(revision or 1), 1)
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
