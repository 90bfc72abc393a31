"""The availability a product version promises and the credit table below it, checked.

`availability_credits` is a list of rows `{"below": "99.9", "credit_percent": "10"}`: when a
month's availability falls below `below` percent, the customer is owed `credit_percent` of that
month's charge; the lowest level the availability is under decides (support/sla_credits.py).
One checker for `version_create` and the model's `clean()` (so the admin refuses what the use
case refuses), with field-level errors naming the row: `availability_credits[2].below`."""

import itertools
from decimal import Decimal
from typing import Any

from headend.core.errors import ValidationError
from headend.core.numbers import parse_decimal

MAX_CREDIT_ROWS = 20
ROW_KEYS = {"below", "credit_percent"}
# The columns: availability_target DecimalField(6, 3); SlaCredit.credit_percent (5, 2).
LEVEL_DIGITS, LEVEL_PLACES = 6, 3
CREDIT_DIGITS, CREDIT_PLACES = 5, 2


def _number(value: Any, *, field: str, max_digits: int, decimal_places: int, what: str) -> Decimal:
    """A percent above 0 and at most 100. A JSON number (a float once parsed) is taken as the
    digits it was written with: JSON has no other way to write a decimal."""
    if isinstance(value, float):
        value = repr(value)
    number = parse_decimal(value, field=field, max_digits=max_digits, decimal_places=decimal_places, example="99.9")
    if not 0 < number <= 100:
        raise ValidationError(f"{what} is a percent above 0 and at most 100.", field=field, code="invalid_percent")
    return number


def text(number: Decimal) -> str:
    """A percent as stored in the table: its digits, without trailing zeros ("99.9", "10")."""
    plain = f"{number:f}"
    return plain.rstrip("0").rstrip(".") if "." in plain else plain


def check_target(value: Any, *, field: str = "availability_target") -> Decimal | None:
    if value is None or value == "":
        return None
    return _number(
        value, field=field, max_digits=LEVEL_DIGITS, decimal_places=LEVEL_PLACES, what="The availability promised"
    )


def check_availability_terms(
    *, target: Any, credits: Any, field: str = "availability_credits", target_field: str = "availability_target"
) -> tuple[Decimal | None, list[dict[str, str]]]:
    """The promised availability (None: no promise) and the credit table, checked and
    normalised: rows of decimal strings, highest level first.

    Each row is {below, credit_percent}, both percents above 0 and at most 100 (at most three
    decimal places for the level, two for the credit); no level twice; every level at most the
    target, so a target is required once there are credits; and the credit never shrinks as
    availability falls (below 99.5 owes at least what below 99.9 does). ValidationError names
    `availability_credits[n].below` / `.credit_percent` (rows counted from 1) or the target."""
    checked_target = check_target(target, field=target_field)
    if credits is None or credits == "":
        credits = []
    if not isinstance(credits, list | tuple):
        raise ValidationError(
            'Give the credit table as a list of rows such as {"below": "99.9", "credit_percent": "10"}.',
            field=field,
            code="invalid",
        )
    if len(credits) > MAX_CREDIT_ROWS:
        raise ValidationError(f"A credit table has at most {MAX_CREDIT_ROWS} rows.", field=field, code="too_many")
    rows: list[tuple[Decimal, Decimal, str]] = []
    seen: dict[Decimal, int] = {}
    for n, row in enumerate(credits, start=1):
        where = f"{field}[{n}]"
        if not isinstance(row, dict) or set(row) != ROW_KEYS:
            raise ValidationError(
                f'Row {n}: a row is {{"below": "99.9", "credit_percent": "10"}}, with those two keys only.',
                field=where,
                code="invalid",
            )
        below = _number(
            row["below"],
            field=f"{where}.below",
            max_digits=LEVEL_DIGITS,
            decimal_places=LEVEL_PLACES,
            what=f"Row {n}: the level",
        )
        credit = _number(
            row["credit_percent"],
            field=f"{where}.credit_percent",
            max_digits=CREDIT_DIGITS,
            decimal_places=CREDIT_PLACES,
            what=f"Row {n}: the credit",
        )
        if below in seen:
            raise ValidationError(
                f"Row {n}: the level {text(below)} % is already row {seen[below]}.",
                field=f"{where}.below",
                code="duplicate_level",
            )
        seen[below] = n
        if checked_target is None:
            raise ValidationError(
                "Give the availability promised before a credit table.", field=target_field, code="required"
            )
        if below > checked_target:
            raise ValidationError(
                f"Row {n}: the level {text(below)} % is above the {text(checked_target)} % promised.",
                field=f"{where}.below",
                code="level_above_target",
            )
        rows.append((below, credit, where))
    rows.sort(key=lambda row: row[0], reverse=True)
    for (higher, more_or_equal, _), (lower, credit, where) in itertools.pairwise(rows):
        if credit < more_or_equal:
            raise ValidationError(
                f"Below {text(lower)} % credits {text(credit)} %, less than the {text(more_or_equal)} % owed below "
                f"{text(higher)} %: the credit cannot shrink as availability falls.",
                field=f"{where}.credit_percent",
                code="credit_shrinks",
            )
    return checked_target, [{"below": text(below), "credit_percent": text(credit)} for below, credit, _ in rows]


def credit_percent_for(availability: Decimal, credits: list[dict[str, str]]) -> Decimal:
    """The credit a month at `availability` percent is owed under a checked table: that of the
    lowest level the availability is under; 0 when it is under none."""
    owed = Decimal(0)
    lowest: Decimal | None = None
    for row in credits:
        below = Decimal(row["below"])
        if availability < below and (lowest is None or below < lowest):
            lowest, owed = below, Decimal(row["credit_percent"])
    return owed
