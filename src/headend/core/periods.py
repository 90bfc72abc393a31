"""Calendar arithmetic for terms and billing periods (dates in the provider's zone)."""

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: dt.date, term_months: int) -> dt.date | None:
    """The last day of a term that starts on `start`; None for month-to-month."""
    if term_months <= 0:
        return None
    return add_months(start, term_months) - dt.timedelta(days=1)
