from decimal import Decimal

import pytest

from headend.core.money import format_amount, line_amount, total


@pytest.mark.parametrize(
    ("unit", "qty", "expected"),
    [
        ("0.125", 1, "0.13"),
        ("0.124", 1, "0.12"),
        ("33.333", 3, "100.00"),
        ("19.995", 1, "20.00"),
        ("-0.125", 1, "-0.13"),
    ],
)
def test_line_amount_rounds_half_up_once(unit, qty, expected):
    assert line_amount(Decimal(unit), qty) == Decimal(expected)


def test_line_amount_applies_factor_before_rounding():
    assert line_amount(Decimal("100.00"), 1, Decimal(10) / Decimal(31)) == Decimal("32.26")


def test_total_is_the_sum_of_rounded_lines_not_a_rounded_sum():
    lines = [line_amount(Decimal("0.005"), 1) for _ in range(3)]

    assert total(lines) == Decimal("0.03")  # rounding the unrounded sum would give 0.02


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [("1234.5", "USD", "$1,234.50"), ("-5", "USD", "-$5.00"), ("10", "EUR", "10.00 EUR")],
)
def test_format_amount(amount, currency, text):
    assert format_amount(Decimal(amount), currency) == text
