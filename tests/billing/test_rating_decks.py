"""Rate deck uploads (billing/rate_decks.py): every line reported, the file checked whole, and
overlapping prefixes, bad bands or cells refusing it with the lines named and nothing written."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing import rate_decks
from headend.billing.models import Rate, RateDeck
from headend.billing.usage_files import FileRejected
from headend.core.errors import Forbidden, ValidationError
from tests.billing.cdr_factories import DECK, upload_deck
from tests.factories import make_user

pytestmark = pytest.mark.django_db
HEADER = DECK.splitlines()[0]


def deck(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def refused(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(FileRejected) as caught:
        upload_deck(text)
    assert (RateDeck.objects.count(), Rate.objects.count()) == (0, 0)  # nothing written
    return [(error.line, error.column, error.message) for error in caught.value.errors]


def test_a_deck_adds_its_rates_with_a_report_line_per_line():
    uploaded = upload_deck()

    assert (uploaded.lines, uploaded.added, uploaded.unchanged) == (6, 6, 0)
    assert uploaded.report[4] == [
        6,
        "447",
        "2026-01-01",
        "added",
        "United Kingdom mobile: 0.20 a minute, mon-fri 08:00-19:00",
    ]
    rate = Rate.objects.get(prefix="447", band="")
    assert (rate.rate_per_minute, rate.minimum_seconds, rate.increment_seconds, rate.in_bundle, rate.line) == (
        Decimal("0.12"), 60, 6, False, 7,
    )  # fmt: skip


def test_the_same_file_again_returns_its_deck_and_a_new_file_with_known_lines_reports_them_unchanged():
    first = upload_deck()

    assert upload_deck() == first
    second = upload_deck(deck("44,United Kingdom,0.05,30,6,2026-01-01,,no", "33,France,0.04,60,6,2026-01-01,,no"))
    assert (second.added, second.unchanged) == (1, 1)
    assert second.report[0][3:] == ["unchanged", "Already in the rate table (deck Retail 2026, line 5)."]
    assert Rate.objects.count() == 7


def test_the_same_prefix_twice_at_one_date_is_refused_naming_both_lines():
    errors = refused(deck("44,United Kingdom,0.05,30,6,2026-03-01,,no", "1,US,0.02,60,6,2026-03-01,,yes",
                          "44,UK again,0.06,30,6,2026-03-01,,no"))  # fmt: skip

    assert errors == [(4, "prefix", "Prefix 44 from 2026-03-01 is also on line 2 (both without a band).")]


def test_the_same_prefix_at_another_date_is_a_new_price():
    upload_deck(deck("44,United Kingdom,0.05,30,6,2026-03-01,,no", "44,United Kingdom,0.06,30,6,2026-04-01,,no"))

    assert Rate.objects.filter(prefix="44").count() == 2


def test_overlapping_bands_are_refused_naming_both_lines_and_the_time():
    errors = refused(deck("447,Peak,0.20,60,6,2026-01-01,mon-fri 08:00-19:00,no",
                          "447,Evening,0.15,60,6,2026-01-01,mon-fri 18:00-22:00,no",
                          "447,Other,0.12,60,6,2026-01-01,,no"))  # fmt: skip

    assert errors == [(3, "band", "Prefix 447 from 2026-01-01: the band overlaps line 2's (both cover Mon 18:00).")]


def test_bands_that_leave_times_without_a_rate_are_refused():
    errors = refused(deck("447,Peak,0.20,60,6,2026-01-01,mon-fri 08:00-19:00,no"))

    assert errors == [
        (2, "band", "Prefix 447 from 2026-01-01: no rate for Mon 00:00; add a line without a band for the times the "
                    "bands leave out."),
    ]  # fmt: skip


def test_bands_covering_the_whole_week_need_no_band_less_line():
    upload_deck(deck("447,Weekdays,0.20,60,6,2026-01-01,mon-fri,no", "447,Weekend,0.10,60,6,2026-01-01,sat-sun,no"))

    assert Rate.objects.count() == 2


def test_a_new_price_for_a_prefix_and_date_already_priced_is_refused():
    upload_deck()

    with pytest.raises(FileRejected) as caught:
        upload_deck(deck("44,United Kingdom,0.07,30,6,2026-01-01,,no"))

    assert [str(error) for error in caught.value.errors] == [
        "line 2 (effective_from): Prefix 44 from 2026-01-01 is priced already (deck 'Retail 2026', line 5): a new "
        "price needs a new effective date."
    ]
    assert (RateDeck.objects.count(), Rate.objects.count()) == (1, 6)


def test_bad_cells_are_refused_each_by_line_and_column():
    errors = refused(deck("+44,UK,0.05,30,6,2026-01-01,,no", "45,,-1,30,0,2026-13-01,,maybe",
                          "46,Norway,0.000001,30,6,2026-01-01,mon-fri 8-19,"))  # fmt: skip

    assert [(line, column) for line, column, _ in errors] == [
        (2, "prefix"),
        (3, "description"), (3, "rate_per_minute"), (3, "increment_seconds"), (3, "effective_from"), (3, "in_bundle"),
        (4, "rate_per_minute"), (4, "band"),
    ]  # fmt: skip
    assert errors[0][2] == "'+44' is not a prefix: digits only, without + or 011."
    assert errors[4][2] == "Not a date: '2026-13-01'; write it as 2026-03-01."


def test_a_header_without_the_columns_is_refused_on_line_1():
    errors = refused("prefix,name,price\n44,UK,0.05\n")

    assert errors[0] == (
        1, "", "The header lacks the columns description, rate_per_minute, minimum_seconds, increment_seconds, "
               "effective_from.",
    )  # fmt: skip
    assert [column for _, column, _ in errors[1:]] == ["name", "price"]


def test_an_empty_deck_or_one_not_utf8_is_refused():
    with pytest.raises(ValidationError, match="no rates under its header"):
        upload_deck(HEADER + "\n")
    with pytest.raises(ValidationError, match="not UTF-8"):
        rate_decks.rate_deck_upload(data=b"prefix\xff\n", file_name="x.csv")


def test_only_billing_staff_upload_decks():
    with pytest.raises(Forbidden):
        rate_decks.rate_deck_upload(data=DECK.encode(), file_name="x.csv", uploaded_by=make_user("sales"))

    assert (
        rate_decks.rate_deck_upload(data=DECK.encode(), file_name="x.csv", uploaded_by=make_user("billing")).added == 6
    )


def test_the_rate_table_reads_every_deck():
    upload_deck()

    table = rate_decks.rate_table()

    assert table.find("447700900123", dt.datetime(2026, 3, 7, 12)).description == "United Kingdom mobile"
    assert len(table) == 5
