"""Counters into bytes per day: differences of readings, and their split over the provider's days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from headend.usage.octets import COUNTER_32, counter_delta, split_by_day

NY = ZoneInfo("America/New_York")


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=NY)


@pytest.mark.parametrize(
    ("before", "after", "moved"),
    [
        (0, 0, 0),
        (1_000, 1_500, 500),
        (5_000_000_000, 9_000_000_000, 4_000_000_000),  # past 2**32: Gigawords added by rlm_sql
        (COUNTER_32 - 100, 50, 150),  # a 32-bit counter that wrapped (no Gigawords sent)
        (6_000_000_000, 1_000, 1_000),  # a 64-bit counter that went down: the NAS reset it
    ],
)
def test_counter_delta(before, after, moved):
    assert counter_delta(before, after) == moved


def test_an_interval_within_one_day_stays_whole():
    assert split_by_day(at("2026-03-01", "10:00"), at("2026-03-01", "22:00"), 1001, 7, NY) == [
        (dt.date(2026, 3, 1), 1001, 7)
    ]


def test_an_interval_over_midnight_is_split_by_the_time_on_each_side():
    parts = split_by_day(at("2026-03-01", "23:00"), at("2026-03-02", "01:00"), 1_000_001, 3, NY)

    assert parts == [(dt.date(2026, 3, 1), 500_000, 1), (dt.date(2026, 3, 2), 500_001, 2)]
    assert sum(p[1] for p in parts) == 1_000_001


def test_midnight_is_the_providers_not_utcs():
    start = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # 22:00 on the 1st in New York
    end = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)  # 01:00 on the 2nd

    assert split_by_day(start, end, 300, 0, NY) == [(dt.date(2026, 3, 1), 200, 0), (dt.date(2026, 3, 2), 100, 0)]


def test_several_days_and_the_spring_forward_day_of_23_hours():
    # From midnight on Mar 7 to midnight on Mar 10: 24 + 23 (DST starts Mar 8) + 24 = 71 hours.
    parts = split_by_day(at("2026-03-07", "00:00"), at("2026-03-10", "00:00"), 71_000, 0, NY)

    assert parts == [
        (dt.date(2026, 3, 7), 24_000, 0),
        (dt.date(2026, 3, 8), 23_000, 0),
        (dt.date(2026, 3, 9), 24_000, 0),
    ]  # nothing on Mar 10: the interval ends at its first instant


def test_a_backward_interval_puts_everything_on_the_last_day():
    assert split_by_day(at("2026-03-02", "01:00"), at("2026-03-01", "23:00"), 10, 20, NY) == [
        (dt.date(2026, 3, 1), 10, 20)
    ]
