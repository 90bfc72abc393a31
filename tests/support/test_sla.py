"""SLA clocks on the business calendar: exact due instants, pauses and states."""

import datetime as dt

import pytest

from headend.fulfillment.scheduling import BusinessCalendar
from headend.support import sla

CAL = BusinessCalendar.for_zone("America/New_York", holidays=[dt.date(2026, 3, 4)])  # Wed a holiday
NY = CAL.zone


def at(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=NY)


def test_due_counts_working_minutes_only():
    # Friday 16:00 + 2 working hours: 1 h on Friday, 1 h on Monday -> Monday 10:00.
    assert sla.due_at(CAL, start=at(6, 16), minutes=120) == at(9, 10)


def test_due_skips_holidays():
    # Tuesday 16:30 + 1 h: 30 min Tuesday, Wednesday is a holiday, 30 min Thursday.
    assert sla.due_at(CAL, start=at(3, 16, 30), minutes=60) == at(5, 9, 30)


def test_case_opened_out_of_hours_starts_the_next_morning():
    assert sla.due_at(CAL, start=at(7, 11), minutes=30) == at(9, 9, 30)  # Saturday -> Monday


def test_paused_minutes_move_the_due_instant():
    assert sla.due_at(CAL, start=at(2, 9), minutes=60, paused_minutes=45) == at(2, 10, 45)


def test_round_the_clock_counts_every_minute():
    assert sla.due_at(CAL, start=at(7, 23), minutes=120, round_the_clock=True) == at(8, 1)


def test_working_minutes_between_for_a_pause():
    assert sla.minutes_between(CAL, at(6, 16), at(9, 10)) == 120
    assert sla.minutes_between(CAL, at(7, 23), at(8, 1), round_the_clock=True) == 120


def clock(now, *, stopped_at=None, paused_since=None, paused_minutes=0, minutes=240):
    return sla.clock(
        CAL,
        started_at=at(2, 9),
        minutes=minutes,
        paused_minutes=paused_minutes,
        paused_since=paused_since,
        stopped_at=stopped_at,
        now=now,
        warn_percent=75,
    )


def test_running_clock_counts_down():
    state = clock(at(2, 10))
    assert (state.state, state.due_at, state.minutes_left) == ("running", at(2, 13), 180)


def test_warning_once_most_of_the_time_is_used():
    assert clock(at(2, 11, 59)).state == "running"
    state = clock(at(2, 12))  # 180 of 240 minutes used: 75 %
    assert (state.state, state.minutes_left) == ("warning", 60)


def test_breached_after_the_due_instant():
    state = clock(at(2, 14))
    assert (state.state, state.minutes_left) == ("breached", -60)


def test_met_when_stopped_in_time_and_breached_when_late():
    assert clock(at(3, 9), stopped_at=at(2, 12, 30)).state == "met"
    late = clock(at(3, 9), stopped_at=at(2, 13, 30))
    assert (late.state, late.minutes_left) == ("breached", -30)


def test_paused_clock_keeps_its_time_left():
    # Paused at 10:00 with 180 min left; it is now the next day: still 180 left, no breach.
    state = clock(at(3, 15), paused_since=at(2, 10))
    assert (state.state, state.minutes_left) == ("paused", 180)


def test_resumed_clock_carries_the_paused_minutes():
    # Paused 10:00-11:00 (60 working minutes): due 14:00 instead of 13:00.
    state = clock(at(2, 11), paused_minutes=60)
    assert (state.due_at, state.minutes_left) == (at(2, 14), 180)


def test_targets_fall_back_to_the_defaults():
    targets = sla.default_targets("p1", "business")
    assert (targets.response_minutes, targets.resolution_minutes, targets.round_the_clock) == (30, 240, True)
    assert sla.default_targets("p4", "residential").resolution_minutes == 5 * 540


@pytest.mark.parametrize("minutes", [0, -5])
def test_a_target_must_be_positive(minutes):
    with pytest.raises(ValueError):
        sla.due_at(CAL, start=at(2, 9), minutes=minutes)
