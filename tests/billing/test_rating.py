"""The pure rules of voice rating (billing/rating.py): numbers as dialled, the longest prefix in
effect, bands of the week, minimum and increment, included minutes in order, rounding once."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing import rating
from headend.billing.rating import Allowance, RateTable, Tariff, billed_seconds, call_amount, dialled, parse_band

JAN_1 = dt.date(2026, 1, 1)
MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0)  # Monday 2 March 2026, 10:00 where the provider is


def tariff(prefix: str, rate: str, *, day: dt.date = JAN_1, band: str = "", key: int = 0, **more) -> Tariff:
    return Tariff(
        prefix=prefix,
        description=more.pop("description", f"to {prefix}"),
        rate=Decimal(rate),
        minimum=more.pop("minimum", 60),
        increment=more.pop("increment", 6),
        effective_from=day,
        band=parse_band(band) if band else None,
        key=key,
        **more,
    )


@pytest.mark.parametrize(
    ("number", "digits"),
    [
        ("+44 20 7946 0000", "442079460000"),
        ("011442079460000", "442079460000"),
        ("2075550134", "12075550134"),
        ("(207) 555-0134", "12075550134"),
        ("12075550134", "12075550134"),
        ("911", "911"),
        ("s", ""),
    ],
)
def test_dialled_numbers_compare_as_dialled_internationally(number, digits):
    assert dialled(number) == digits


def test_rate_table_takes_the_longest_prefix():
    table = RateTable([tariff("1", "0.02", key=1), tariff("1207", "0.01", key=2), tariff("12075", "0.005", key=3)])

    assert table.find("12075550134", MONDAY_10).key == 3
    assert table.find("12074440000", MONDAY_10).key == 2
    assert table.find("12125550100", MONDAY_10).key == 1
    assert table.find("442079460000", MONDAY_10) is None


def test_rate_table_takes_the_latest_rate_in_effect_and_a_shorter_prefix_before_a_longer_one_starts():
    table = RateTable(
        [
            tariff("44", "0.05", key=1),
            tariff("44", "0.04", day=dt.date(2026, 3, 1), key=2),
            tariff("447", "0.20", day=dt.date(2026, 3, 3), key=3),  # from the day after
        ]
    )

    assert table.find("447700900123", dt.datetime(2026, 2, 28, 23, 59)).key == 1
    assert table.find("447700900123", MONDAY_10).key == 2
    assert table.find("447700900123", dt.datetime(2026, 3, 3, 0, 0)).key == 3


def test_bands_pick_the_rate_of_the_call_start_and_the_band_less_rate_takes_the_rest():
    table = RateTable([tariff("447", "0.20", band="mon-fri 08:00-19:00", key=1), tariff("447", "0.12", key=2)])

    assert table.find("447700900123", dt.datetime(2026, 3, 6, 8, 0)).key == 1  # Friday 08:00
    assert table.find("447700900123", dt.datetime(2026, 3, 6, 18, 59)).key == 1
    assert table.find("447700900123", dt.datetime(2026, 3, 6, 19, 0)).key == 2  # one past the band
    assert table.find("447700900123", dt.datetime(2026, 3, 7, 12, 0)).key == 2  # Saturday


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("mon-fri 08:00-19:00", 5 * 11 * 60),
        ("sat,sun", 2 * 24 * 60),
        ("19:00-07:00", 7 * 12 * 60),  # past midnight: evening and morning of every day
        ("fri-mon", 4 * 24 * 60),  # a range across the week's end
        ("SUN 00:00-24:00", 24 * 60),
    ],
)
def test_bands_read_days_and_hours(text, minutes):
    assert parse_band(text).minutes.bit_count() == minutes


def test_a_band_past_midnight_covers_the_morning_of_the_day_named():
    band = parse_band("mon 22:00-06:00")

    assert band.covers(rating.DAY_MINUTES * 0 + 5 * 60 + 59)  # Monday 05:59
    assert not band.covers(rating.DAY_MINUTES * 1 + 5 * 60)  # Tuesday 05:00


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("xyz 08:00-19:00", "'xyz' is not a day"),
        ("mon-fri 25:00-26:00", "'25:00' is not a time of day"),
        ("09:00-09:00", "empty span"),
        ("mon-fri 8-19", "'8-19' is not a span of hours"),
        ("", "Write a band"),
    ],
)
def test_bad_bands_say_how_to_write_one(text, message):
    with pytest.raises(rating.BadBand, match=message):
        parse_band(text)


@pytest.mark.parametrize(
    ("seconds", "minimum", "increment", "billed"),
    [
        (0, 60, 6, 0),
        (1, 60, 6, 60),
        (60, 60, 6, 60),
        (61, 60, 6, 66),  # one past the minimum: a whole increment
        (66, 60, 6, 66),
        (67, 60, 6, 72),
        (125, 60, 6, 126),
        (31, 30, 6, 36),
        (7, 0, 6, 12),
        (7, 0, 1, 7),
        (59, 60, 60, 60),
        (61, 60, 60, 120),
    ],
)
def test_billed_seconds_take_the_minimum_then_whole_increments(seconds, minimum, increment, billed):
    assert billed_seconds(seconds, minimum, increment) == billed


@pytest.mark.parametrize(
    ("rate", "seconds", "amount"),
    [
        ("0.05", 6, "0.01"),  # 0.005 exactly: half up
        ("0.0125", 126, "0.03"),  # 0.02625
        ("0.02", 306, "0.10"),  # 0.102
        ("0.03", 7, "0.00"),  # 0.0035
        ("0.20", 96, "0.32"),
        ("0.00", 600, "0.00"),
    ],
)
def test_call_amount_rounds_half_up_to_the_cent_once(rate, seconds, amount):
    assert call_amount(Decimal(rate), seconds) == Decimal(amount)


def test_included_seconds_go_in_order_until_none_are_left():
    allowance = Allowance(3600)

    assert [allowance.use(seconds) for seconds in (1500, 2406, 60)] == [1500, 2100, 0]
    assert allowance.left == 0
