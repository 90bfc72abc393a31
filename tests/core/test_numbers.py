"""The shared parsers of amounts, percentages and whole numbers (core/numbers.py)."""

from decimal import Decimal

import pytest

from headend.core.errors import ValidationError
from headend.core.ids import parse_id
from headend.core.numbers import MAX_BIGINT, parse_amount, parse_int, parse_percent

NOT_NUMBERS = [
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "sNaN",
    "²",
    "\u0663\u0666",
    "1_000",
    "12 34",
    "$5",
    "",
    "ten",
]


@pytest.mark.parametrize("value", [*NOT_NUMBERS, Decimal("NaN"), Decimal("Infinity"), 0.1, True, None, [1]])
def test_parse_amount_refuses_what_is_not_a_finite_number_in_ascii_digits(value):
    with pytest.raises(ValidationError) as error:
        parse_amount(value, field="mrc")

    assert (error.value.field, error.value.code) == ("mrc", "invalid_amount")


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("79", Decimal("79.00")),
        (" 79.5 ", Decimal("79.50")),
        ("1E+2", Decimal("100.00")),
        (12, Decimal("12.00")),
        (Decimal("0.10"), Decimal("0.10")),
        ("-0", Decimal("0.00")),
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_parse_amount_reads_amounts_to_the_cent(value, amount):
    assert parse_amount(value, field="mrc") == amount
    assert str(parse_amount(value, field="mrc")) == str(amount)


@pytest.mark.parametrize("value", ["10000000000", "99999999999", "1e999999", "-1e999999", "1e10"])
def test_parse_amount_refuses_more_digits_than_the_column_holds(value):
    with pytest.raises(ValidationError) as error:
        parse_amount(value, field="mrc", minimum=None)

    assert (
        error.value.message
        == "Enter a number with at most 10 digits before the decimal point (up to 9,999,999,999.99)."
    )


@pytest.mark.parametrize("value", ["0.001", "79.999", "1e-999999"])
def test_parse_amount_refuses_fractions_of_a_cent(value):
    with pytest.raises(ValidationError) as error:
        parse_amount(value, field="mrc")

    assert error.value.message == "Enter a number with at most 2 decimal places."


def test_parse_amount_refuses_a_negative_amount_unless_allowed():
    with pytest.raises(ValidationError):
        parse_amount("-0.01", field="mrc")

    assert parse_amount("-0.01", field="mrc", minimum=None) == Decimal("-0.01")


@pytest.mark.parametrize(("value", "ok"), [("0", True), ("100", True), ("100.01", False), ("-0.01", False)])
def test_parse_percent_is_0_to_100(value, ok):
    if ok:
        assert parse_percent(value, field="discount") == Decimal(value)
    else:
        with pytest.raises(ValidationError) as error:
            parse_percent(value, field="discount")
        assert error.value.message == "Enter a number from 0 to 100."


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999999", "99999999999", "²", "12.345"])
def test_parse_percent_refuses_what_no_percent_column_holds(value):
    with pytest.raises(ValidationError) as error:
        parse_percent(value, field="discount", code="invalid_discount")

    assert (error.value.field, error.value.code) == ("discount", "invalid_discount")


@pytest.mark.parametrize("value", ["²", "\u0663", "1_000", "1.0", "1e3", "0x10", "", "+", 1.0, True, None, "9" * 65])
def test_parse_int_takes_ascii_digits_only(value):
    with pytest.raises(ValidationError) as error:
        parse_int(value, field="term_months")

    assert error.value.field == "term_months"


@pytest.mark.parametrize(("value", "number"), [("12", 12), (" 7 ", 7), ("-3", -3), ("+4", 4), (36, 36)])
def test_parse_int_reads_whole_numbers(value, number):
    assert parse_int(value, field="n", minimum=-10) == number


def test_parse_int_bounds_at_the_boundary_and_one_past_it():
    assert parse_int(str(MAX_BIGINT), field="id", maximum=MAX_BIGINT) == MAX_BIGINT

    with pytest.raises(ValidationError) as error:
        parse_int(str(MAX_BIGINT + 1), field="id", maximum=MAX_BIGINT)

    assert error.value.message == f"Enter a whole number from 0 to {MAX_BIGINT:,}."


@pytest.mark.parametrize(
    ("value", "pk"), [("12", 12), (12, 12), (str(MAX_BIGINT), MAX_BIGINT), (str(2**63), 0), ("0", 0), ("²", 0)]
)
def test_parse_id_is_a_positive_64_bit_id_or_0(value, pk):
    assert parse_id(value) == pk
