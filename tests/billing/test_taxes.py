"""The tax port and its built-in engine over the tax table, and the use cases that keep the table."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from headend.billing import taxes
from headend.billing.models import TaxRate
from headend.billing.taxes import Place, Taxable, TaxLine, TaxRequest
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.core.models import OutboxEvent
from tests.conftest import outbox_names
from tests.factories import make_location, make_user

pytestmark = pytest.mark.django_db

PORTLAND = Place(state="ME", city="Portland")
EASTPORT = Place(state="ME", city="Eastport")
BILL_DATE = dt.date(2026, 3, 1)


@pytest.fixture
def keeper():
    return make_user("billing")


def add_rate(keeper, **values):
    defaults = {
        "level": "state",
        "name": "Maine sales tax",
        "state": "ME",
        "category": "internet",
        "rate_percent": "5.5",
        "effective_from": dt.date(2026, 1, 1),
    }
    return taxes.tax_rate_create(created_by=keeper, **{**defaults, **values})


def request_for(*items, bill_date=BILL_DATE, exempt=False):
    return TaxRequest(bill_date=bill_date, currency="USD", exempt=exempt, certificate="", items=tuple(items))


def item(key, amount, place=PORTLAND, category="internet"):
    return Taxable(key=key, amount=Decimal(amount), category=category, place=place)


def summary(lines):
    return [(line.jurisdiction, line.rate_percent, line.taxable_amount, line.amount, line.keys) for line in lines]


class FlatTaxEngine:
    """A stand-in for an outside tax service: 10% of everything, in one line."""

    def taxes(self, request):
        base = sum(i.amount for i in request.items)
        keys = tuple(i.key for i in request.items)
        return [TaxLine("Flat", Decimal(10), base, base / 10, "other", keys)]


# --- The engine ------------------------------------------------------------------------------


def test_table_engine_sums_state_and_city_rates_per_jurisdiction(keeper):
    add_rate(keeper)
    add_rate(keeper, level="city", name="Portland utility tax", city="Portland", rate_percent="1")

    lines = taxes.TableTaxEngine().taxes(
        request_for(item(1, "50.00"), item(2, "30.00", Place("me", city="PORTLAND")), item(3, "20.00", EASTPORT))
    )

    assert summary(lines) == [
        ("Maine sales tax (ME)", Decimal("5.5000"), Decimal("100.00"), Decimal("5.50"), (1, 2, 3)),
        ("Portland utility tax (Portland, ME)", Decimal("1.0000"), Decimal("80.00"), Decimal("0.80"), (1, 2)),
    ]
    assert [line.category for line in lines] == ["internet", "internet"]


def test_table_engine_applies_county_rates_only_to_places_in_that_county(keeper):
    add_rate(keeper, level="county", name="Cumberland County tax", county="Cumberland", rate_percent="0.5")

    lines = taxes.TableTaxEngine().taxes(
        request_for(item(1, "100.00", Place("ME", county="cumberland")), item(2, "100.00", PORTLAND))
    )

    assert summary(lines) == [
        ("Cumberland County tax (Cumberland, ME)", Decimal("0.5000"), Decimal("100.00"), Decimal("0.50"), (1,)),
    ]


def test_table_engine_taxes_each_item_only_by_its_categorys_rates(keeper):
    add_rate(keeper)
    add_rate(keeper, name="Maine voice tax", category="voice", rate_percent="7")

    lines = taxes.TableTaxEngine().taxes(
        request_for(item(1, "40.00"), item(2, "20.00", category="voice"), item(3, "99.00", category="equipment"))
    )

    assert summary(lines) == [
        ("Maine sales tax (ME)", Decimal("5.5000"), Decimal("40.00"), Decimal("2.20"), (1,)),
        ("Maine voice tax (ME)", Decimal("7.0000"), Decimal("20.00"), Decimal("1.40"), (2,)),
    ]


def test_table_engine_ignores_rates_of_other_states(keeper):
    add_rate(keeper, name="New Hampshire tax", state="NH")

    assert taxes.TableTaxEngine().taxes(request_for(item(1, "100.00"))) == []


@pytest.mark.parametrize(
    ("bill_date", "expected"),
    [
        (dt.date(2025, 12, 31), []),  # before the first rate starts
        (dt.date(2026, 1, 1), [Decimal("5.00")]),  # its first day
        (dt.date(2026, 2, 28), [Decimal("5.00")]),  # its last day
        (dt.date(2026, 3, 1), [Decimal("6.00")]),  # the next rate's first day
    ],
)
def test_table_engine_uses_the_rates_in_effect_on_the_bill_date(keeper, bill_date, expected):
    add_rate(keeper, rate_percent="5", effective_to=dt.date(2026, 2, 28))
    add_rate(keeper, rate_percent="6", effective_from=dt.date(2026, 3, 1))

    lines = taxes.TableTaxEngine().taxes(request_for(item(1, "100.00"), bill_date=bill_date))

    assert [line.amount for line in lines] == expected


def test_table_engine_charges_an_exempt_customer_nothing(keeper):
    add_rate(keeper)

    assert taxes.TableTaxEngine().taxes(request_for(item(1, "100.00"), exempt=True)) == []


def test_table_engine_lowers_the_base_by_credits(keeper):
    add_rate(keeper)

    lines = taxes.TableTaxEngine().taxes(request_for(item(1, "100.00"), item(2, "-40.00")))

    assert summary(lines) == [("Maine sales tax (ME)", Decimal("5.5000"), Decimal("60.00"), Decimal("3.30"), (1, 2))]


def test_table_engine_skips_a_rate_whose_base_nets_to_zero(keeper):
    add_rate(keeper)

    assert taxes.TableTaxEngine().taxes(request_for(item(1, "25.00"), item(2, "-25.00"))) == []


def test_table_engine_taxes_a_net_credit_negatively(keeper):
    add_rate(keeper, rate_percent="5")

    lines = taxes.TableTaxEngine().taxes(request_for(item(1, "-2.50")))

    assert [(line.taxable_amount, line.amount) for line in lines] == [(Decimal("-2.50"), Decimal("-0.13"))]


@pytest.mark.parametrize(
    ("amount", "rate", "tax"),
    [
        ("2.50", "5", "0.13"),  # 0.125: half up
        ("2.49", "5", "0.12"),  # 0.1245
        ("10.01", "5.5", "0.55"),  # 0.55055
        ("99.99", "1.0625", "1.06"),  # 1.06239375
        ("0.10", "5", "0.01"),  # 0.005
    ],
)
def test_table_engine_rounds_each_line_half_up_to_the_cent(keeper, amount, rate, tax):
    add_rate(keeper, rate_percent=rate)

    (line,) = taxes.TableTaxEngine().taxes(request_for(item(1, amount)))

    assert line.amount == Decimal(tax)


def test_table_engine_reads_every_state_in_one_query_and_once_per_bill_date(keeper, django_assert_num_queries):
    add_rate(keeper)
    add_rate(keeper, name="New Hampshire tax", state="NH", rate_percent="2")
    engine = taxes.TableTaxEngine()
    request = request_for(item(1, "100.00"), item(2, "50.00", Place("NH")), item(3, "10.00", Place("VT")))

    with django_assert_num_queries(1):
        first = engine.taxes(request)
    with django_assert_num_queries(0):
        second = engine.taxes(request)

    assert [line.amount for line in first] == [Decimal("5.50"), Decimal("1.00")]
    assert second == first


def test_engine_is_the_table_engine_by_default():
    assert isinstance(taxes.engine(), taxes.TableTaxEngine)
    assert taxes.engine() is not taxes.engine()  # a new one per call: its cache lives as long as the caller's use


def test_engine_is_the_class_settings_name(settings, keeper):
    add_rate(keeper)
    settings.HEADEND_TAX_ENGINE = "tests.billing.test_taxes.FlatTaxEngine"

    chosen = taxes.engine()
    lines = chosen.taxes(request_for(item(1, "30.00"), item(2, "20.00")))

    assert isinstance(chosen, FlatTaxEngine)
    assert summary(lines) == [("Flat", Decimal(10), Decimal("50.00"), Decimal("5.00"), (1, 2))]


def test_place_of_a_location_is_its_state_and_city_as_stored(keeper):
    add_rate(keeper, level="city", name="Portland tax", city="Portland", rate_percent="1")
    location = make_location(city="Portland", state="me")

    place = taxes.place_of(location)
    lines = taxes.TableTaxEngine().taxes(request_for(item(1, "100.00", place)))

    assert place == Place(state="ME", county="", city="PORTLAND")  # addresses are kept in USPS style
    assert [line.jurisdiction for line in lines] == ["Portland tax (Portland, ME)"]


# --- tax_rate_create -------------------------------------------------------------------------


def test_tax_rate_create_stores_the_rate_and_emits_an_event(keeper):
    rate = add_rate(keeper, level="city", name=" Portland tax ", state="me", city="Portland", rate_percent="1.0625")

    rate.refresh_from_db()
    assert (rate.level, rate.name, rate.state, rate.county, rate.city, rate.category) == (
        "city",
        "Portland tax",
        "ME",
        "",
        "Portland",
        "internet",
    )
    assert (rate.rate_percent, rate.effective_from, rate.effective_to) == (
        Decimal("1.0625"),
        dt.date(2026, 1, 1),
        None,
    )
    assert rate.history.get().history_user == keeper
    assert outbox_names(subject=rate) == ["tax_rate.created"]


def test_tax_rate_create_is_for_finance_too():
    rate = add_rate(make_user("finance"))

    assert TaxRate.objects.get() == rate


@pytest.mark.parametrize("role", ["sales", "support", "director"])
def test_tax_rate_create_is_refused_to_roles_that_only_read(role):
    with pytest.raises(Forbidden):
        add_rate(make_user(role))

    assert not TaxRate.objects.exists()


@pytest.mark.parametrize("value", ["-0.0001", "100.0001", "5.12345", "abc", "NaN", "1e3", "", 5.5])
def test_tax_rate_create_refuses_a_rate_outside_0_to_100_or_past_four_places(keeper, value):
    with pytest.raises(ValidationError) as refused:
        add_rate(keeper, rate_percent=value)

    assert refused.value.field == "rate_percent"
    assert not TaxRate.objects.exists()


@pytest.mark.parametrize(("value", "stored"), [("0", "0"), ("100", "100"), ("7.1234", "7.1234"), (Decimal("2"), "2")])
def test_tax_rate_create_takes_rates_from_0_to_100(keeper, value, stored):
    assert add_rate(keeper, rate_percent=value).rate_percent == Decimal(stored)


@pytest.mark.parametrize("state", ["Maine", "M", "M1", "", "  ", "ÉÉ"])
def test_tax_rate_create_refuses_a_state_that_is_not_two_letters(keeper, state):
    with pytest.raises(ValidationError) as refused:
        add_rate(keeper, state=state)

    assert refused.value.field == "state"
    assert not TaxRate.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"level": "county", "county": "  "}, "county"),
        ({"level": "city", "city": ""}, "city"),
        ({"level": "state", "city": "Portland"}, "city"),
        ({"level": "city", "city": "Portland", "county": "Cumberland"}, "county"),
        ({"level": "town"}, "level"),
        ({"category": "cable"}, "category"),
        ({"name": "  "}, "name"),
        ({"effective_from": "first of May"}, "effective_from"),
    ],
)
def test_tax_rate_create_refuses_a_jurisdiction_it_cannot_place(keeper, values, field):
    with pytest.raises(ValidationError) as refused:
        add_rate(keeper, **values)

    assert refused.value.field == field
    assert not TaxRate.objects.exists()


def test_tax_rate_create_refuses_a_last_day_before_the_first(keeper):
    with pytest.raises(ValidationError) as refused:
        add_rate(keeper, effective_from=dt.date(2026, 5, 1), effective_to=dt.date(2026, 4, 30))

    assert refused.value.field == "effective_to"
    assert not TaxRate.objects.exists()


def test_tax_rate_create_takes_a_one_day_rate(keeper):
    rate = add_rate(keeper, effective_from=dt.date(2026, 5, 1), effective_to="2026-05-01")

    assert (rate.effective_from, rate.effective_to) == (dt.date(2026, 5, 1), dt.date(2026, 5, 1))


def test_tax_rate_create_refuses_dates_overlapping_the_same_jurisdictions_rate(keeper):
    add_rate(keeper)

    with pytest.raises(ValidationError) as refused:
        add_rate(keeper, name="Maine sales tax 2026", rate_percent="6", effective_from=dt.date(2026, 6, 1))

    assert refused.value.field == "effective_from"
    assert refused.value.code == "tax_rate_overlap"
    assert refused.value.message == (
        "These dates overlap Maine sales tax (ME), 5.5% on internet access, from 2026-01-01, open-ended. "
        "End that rate first."
    )
    assert list(TaxRate.objects.values_list("name", flat=True)) == ["Maine sales tax"]
    assert OutboxEvent.objects.filter(name="tax_rate.created").count() == 1


@pytest.mark.parametrize(
    ("new_from", "new_to"),
    [
        (dt.date(2025, 6, 1), dt.date(2026, 1, 1)),  # ends on its first day
        (dt.date(2026, 3, 31), None),  # starts on its last day
        (dt.date(2026, 2, 1), dt.date(2026, 2, 2)),  # inside it
    ],
)
def test_tax_rate_create_refuses_any_day_in_common(keeper, new_from, new_to):
    add_rate(keeper, effective_to=dt.date(2026, 3, 31))

    with pytest.raises(ValidationError) as refused:
        add_rate(keeper, effective_from=new_from, effective_to=new_to)

    assert "2026-01-01 to 2026-03-31" in refused.value.message
    assert TaxRate.objects.count() == 1


def test_tax_rate_create_refuses_an_overlap_whatever_the_city_spelling(keeper):
    add_rate(keeper, level="city", name="Portland tax", city="Portland", rate_percent="1")

    with pytest.raises(ValidationError) as refused:
        add_rate(keeper, level="city", name="Portland tax", city="PORTLAND ", rate_percent="2")

    assert refused.value.field == "effective_from"
    assert TaxRate.objects.count() == 1


def test_tax_rate_create_takes_rates_that_meet_without_overlapping_or_differ(keeper):
    add_rate(keeper, effective_to=dt.date(2026, 5, 31))

    add_rate(keeper, rate_percent="6", effective_from=dt.date(2026, 6, 1))  # the day after
    add_rate(keeper, name="Maine voice tax", category="voice")
    add_rate(keeper, name="NH tax", state="NH")
    add_rate(keeper, level="city", name="Portland tax", city="Portland")

    assert TaxRate.objects.count() == 5


# --- tax_rate_update, tax_rate_end -----------------------------------------------------------


def test_tax_rate_update_changes_the_fields_given(keeper):
    rate = add_rate(keeper)

    taxes.tax_rate_update(tax_rate=rate, updated_by=keeper, rate_percent="5.75", name="Maine service tax")

    rate.refresh_from_db()
    assert (rate.name, rate.rate_percent) == ("Maine service tax", Decimal("5.75"))
    assert outbox_names(subject=rate) == ["tax_rate.created", "tax_rate.updated"]
    assert OutboxEvent.objects.get(name="tax_rate.updated").data == {"fields": ["name", "rate_percent"]}


def test_tax_rate_update_to_nothing_new_writes_nothing(keeper):
    rate = add_rate(keeper)

    taxes.tax_rate_update(tax_rate=rate, updated_by=keeper, rate_percent="5.5000", state="me")

    assert outbox_names(subject=rate) == ["tax_rate.created"]
    assert rate.history.count() == 1


def test_tax_rate_update_does_not_overlap_itself_but_refuses_another(keeper):
    rate = add_rate(keeper, effective_to=dt.date(2026, 5, 31))
    add_rate(keeper, rate_percent="6", effective_from=dt.date(2026, 6, 1))
    taxes.tax_rate_update(tax_rate=rate, updated_by=keeper, effective_from=dt.date(2025, 1, 1))

    with pytest.raises(ValidationError) as refused:
        taxes.tax_rate_update(tax_rate=rate, updated_by=keeper, effective_to=None)

    assert refused.value.field == "effective_from"
    assert "6%" in refused.value.message
    rate.refresh_from_db()
    assert (rate.effective_from, rate.effective_to) == (dt.date(2025, 1, 1), dt.date(2026, 5, 31))


def test_tax_rate_update_refuses_bad_input_and_sales(keeper):
    rate = add_rate(keeper)

    with pytest.raises(ValidationError) as refused:
        taxes.tax_rate_update(tax_rate=rate, updated_by=keeper, rate_percent="101")
    with pytest.raises(Forbidden):
        taxes.tax_rate_update(tax_rate=rate, updated_by=make_user("sales"), rate_percent="6")

    assert refused.value.field == "rate_percent"
    rate.refresh_from_db()
    assert rate.rate_percent == Decimal("5.5")


def test_tax_rate_end_sets_the_last_day(keeper):
    rate = add_rate(keeper)

    taxes.tax_rate_end(tax_rate=rate, ended_by=keeper, last_day=dt.date(2026, 6, 30))

    rate.refresh_from_db()
    assert rate.effective_to == dt.date(2026, 6, 30)
    assert OutboxEvent.objects.get(name="tax_rate.ended").data == {"last_day": "2026-06-30"}


def test_tax_rate_end_on_its_first_day_is_a_one_day_rate_and_the_day_before_is_refused(keeper):
    rate = add_rate(keeper)

    with pytest.raises(ValidationError) as refused:
        taxes.tax_rate_end(tax_rate=rate, ended_by=keeper, last_day=dt.date(2025, 12, 31))
    taxes.tax_rate_end(tax_rate=rate, ended_by=keeper, last_day=dt.date(2026, 1, 1))

    assert refused.value.field == "last_day"
    rate.refresh_from_db()
    assert rate.effective_to == dt.date(2026, 1, 1)


def test_tax_rate_end_refuses_to_extend_an_ended_rate(keeper):
    rate = add_rate(keeper, effective_to=dt.date(2026, 3, 31))

    with pytest.raises(Conflict):
        taxes.tax_rate_end(tax_rate=rate, ended_by=keeper, last_day=dt.date(2026, 4, 30))

    rate.refresh_from_db()
    assert rate.effective_to == dt.date(2026, 3, 31)


def test_tax_rate_end_is_refused_to_sales(keeper):
    rate = add_rate(keeper)

    with pytest.raises(Forbidden):
        taxes.tax_rate_end(tax_rate=rate, ended_by=make_user("sales"), last_day=dt.date(2026, 6, 30))

    rate.refresh_from_db()
    assert rate.effective_to is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
def test_two_overlapping_rates_added_at_the_same_moment_one_is_refused():
    """The tax table is written one rate at a time: the second waits for the first to commit and
    then sees the overlap."""
    finance = make_user("finance")
    start = threading.Barrier(2, timeout=10)
    made, refused = [], []

    def add(percent):
        try:
            start.wait()
            made.append(
                taxes.tax_rate_create(
                    created_by=finance,
                    level="state",
                    name="Maine sales tax",
                    state="ME",
                    category="equipment",
                    rate_percent=percent,
                    effective_from=dt.date(2027, 1, 1),
                ).pk
            )
        except ValidationError as exc:
            refused.append(exc.field)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(percent,)) for percent in ("5.5", "6")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert (len(made), refused) == (1, ["effective_from"])
    assert TaxRate.objects.count() == 1
