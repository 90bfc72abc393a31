import datetime as dt

import pytest

from headend.core.periods import add_months, term_end


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 15), 2, dt.date(2027, 1, 15)),
        (dt.date(2026, 3, 2), 24, dt.date(2028, 3, 2)),
    ],
)
def test_add_months_clamps_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_term_end_is_the_day_before_the_anniversary():
    assert term_end(dt.date(2026, 3, 2), 12) == dt.date(2027, 3, 1)


def test_month_to_month_has_no_term_end():
    assert term_end(dt.date(2026, 3, 2), 0) is None
