"""The commission rules as plain functions: exact to the cent, boundaries and one past them."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.commissions import rules

D = Decimal


@pytest.mark.parametrize(
    ("basis", "rate", "mrr", "amount"),
    [
        ("percent", "50", "65.00", "32.50"),
        ("percent", "12.5", "79.99", "10.00"),  # 9.99875 half-up
        ("percent", "33.33", "10.00", "3.33"),
        ("percent", "100", "65.00", "65.00"),
        ("fixed", "25.00", "65.00", "25.00"),
        ("none", "0", "65.00", "0.00"),
    ],
)
def test_trigger_amount_rounds_the_whole_once_half_up(basis, rate, mrr, amount):
    assert rules.trigger_amount(basis=basis, rate=D(rate), mrr=D(mrr)) == D(amount)


@pytest.mark.parametrize(
    ("amount", "shares", "split"),
    [
        ("32.50", ["60", "40"], ["19.50", "13.00"]),
        ("10.00", ["33.33", "33.33", "33.34"], ["3.33", "3.33", "3.34"]),
        ("0.01", ["50", "50"], ["0.01", "0.00"]),
        ("6.50", ["100"], ["6.50"]),
    ],
)
def test_split_sums_exactly_to_the_whole_by_largest_remainder(amount, shares, split):
    parts = rules.split(D(amount), [D(share) for share in shares])

    assert parts == [D(part) for part in split]
    assert sum(parts) == D(amount)


@pytest.mark.parametrize(
    ("month", "earns"),
    [
        (dt.date(2025, 12, 1), False),  # before the turn-up month
        (dt.date(2026, 1, 1), True),  # the turn-up month is month 1
        (dt.date(2026, 12, 1), True),  # month 12
        (dt.date(2027, 1, 1), False),  # month 13: past N = 12
    ],
)
def test_earns_recurring_for_the_first_n_months_from_the_turn_up_month(month, earns):
    assert (
        rules.earns_recurring(turned_up_on=dt.date(2026, 1, 20), disconnected_on=None, month=month, months=12) is earns
    )


@pytest.mark.parametrize(
    ("disconnected_on", "earns"),
    [(dt.date(2026, 4, 30), False), (dt.date(2026, 5, 1), True), (dt.date(2026, 5, 31), True)],
)
def test_earns_recurring_unless_disconnected_before_the_month_began(disconnected_on, earns):
    assert (
        rules.earns_recurring(
            turned_up_on=dt.date(2026, 1, 20), disconnected_on=disconnected_on, month=dt.date(2026, 5, 1), months=12
        )
        is earns
    )


@pytest.mark.parametrize(
    ("asked_on", "months", "claws"),
    [
        (dt.date(2027, 7, 19), 18, True),  # the last day inside 18 months of 2026-01-20
        (dt.date(2027, 7, 20), 18, False),  # 18 months to the day: outside
        (dt.date(2026, 2, 1), 0, False),  # a plan without clawback
    ],
)
def test_claws_back_within_m_months_of_turn_up(asked_on, months, claws):
    assert rules.claws_back(turned_up_on=dt.date(2026, 1, 20), asked_on=asked_on, months=months) is claws


def test_claws_back_a_sale_that_never_turned_up():
    assert rules.claws_back(turned_up_on=None, asked_on=dt.date(2026, 2, 1), months=6) is True


def test_month_end_is_the_last_day_of_the_month():
    assert rules.month_end(dt.date(2028, 2, 10)) == dt.date(2028, 2, 29)
