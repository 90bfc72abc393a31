"""Speeds and technologies as coverage files write them."""

from decimal import Decimal

import pytest

from headend.network.technologies import BadValue, mbps, parse_speed, speed_pair, technology_of


@pytest.mark.parametrize(
    ("text", "speed"),
    [("1000", 1000), (" 35 ", 35), ("0", 0), ("100000", 100000), ("0.2", Decimal("0.2")), ("1e3", Decimal("1000"))],
)
def test_parse_speed_reads_whole_and_decimal_mbps(text, speed):
    assert parse_speed(text, column="max_down") == speed


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("100001", "max_down '100001' is out of range (0 to 100,000 Mbps)"),
        ("-1", "max_down '-1' is out of range (0 to 100,000 Mbps)"),
        ("1e50", "max_down '1e50' is out of range (0 to 100,000 Mbps)"),
        ("0.0005", "max_down '0.0005' has more than 3 decimal places"),
        ("NaN", "max_down 'NaN' is not a number"),
        ("inf", "max_down 'inf' is not a number"),
        ("", "max_down '' is not a number"),
        ("1 Gig", "max_down '1 Gig' is not a number"),
    ],
)
def test_parse_speed_refuses(text, reason):
    with pytest.raises(BadValue) as error:
        parse_speed(text, column="max_down")

    assert str(error.value) == reason


@pytest.mark.parametrize(
    ("name", "technology"),
    [("Fiber", "fiber"), ("FTTH", "fiber"), ("50", "fiber"), ("coax", "cable"), ("Fixed Wireless", "fixed_wireless")],
)
def test_technology_of_reads_the_usual_names(name, technology):
    assert technology_of(name) == technology


def test_speeds_read_without_trailing_zeros():
    assert (mbps(Decimal("1000.000")), mbps(Decimal("0.200")), speed_pair(Decimal("1000"), Decimal("35"))) == (
        "1000",
        "0.2",
        "1000/35 Mbps",
    )
