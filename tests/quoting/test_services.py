import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import services as catalog_services
from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.crm.models import Opportunity
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting import services
from headend.quoting.models import QuoteLine
from tests.conftest import outbox_names
from tests.factories import make_account, make_location, make_product, make_quote

pytestmark = pytest.mark.django_db


def test_line_add_prices_from_the_catalog_and_updates_totals():
    account = make_account()
    version = make_product(prices={0: ("70.00", "99.00"), 12: ("65.00", "0.00")})
    quote = services.quote_create(account=account)

    services.quote_line_add(
        quote=quote, location=make_location(account), product_version=version, term_months=12, quantity=2
    )
    services.quote_line_add(quote=quote, location=make_location(account), product_version=version, term_months=0)

    quote.refresh_from_db()
    assert (quote.mrr_amount, quote.one_time_amount, quote.contract_value_amount) == (
        Decimal("200.00"),
        Decimal("99.00"),
        Decimal("1729.00"),  # 130*12 + 70 + 99
    )


def test_quote_without_opportunity_opens_one_for_its_account():
    account = make_account()

    quote = services.quote_create(account=account, name="Two sites")

    assert (quote.opportunity.account, quote.opportunity.stage) == (account, "proposal")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"quantity": 0}, "quantity", "invalid_quantity"),
        ({"quantity": -3}, "quantity", "invalid_quantity"),
        ({"quantity": "two"}, "quantity", "invalid_quantity"),
        ({"term_months": 18}, "term_months", "unknown_term"),
        ({"term_months": 36}, "term_months", "term_not_offered"),
        ({"foreign_location": True}, "location", "foreign_location"),
        ({"draft_version": True}, "product_version", "not_sellable"),
        ({"residential_only": True}, "product_version", "not_eligible"),
    ],
)
def test_bad_line_is_refused_with_its_field_and_nothing_written(change, field, code):
    account = make_account("business")
    version = make_product()
    location = make_location(account)
    if change.pop("foreign_location", False):
        location = make_location(make_account())
    if change.pop("draft_version", False):
        version = catalog_services.version_create(
            product=version.product, effective_from=dt.date(2020, 1, 1), prices={12: ("1", "0")}
        )
    if change.pop("residential_only", False):
        version = make_product(customer_type="residential")
    quote = services.quote_create(account=account)
    values = {"quote": quote, "location": location, "product_version": version, "term_months": 12, "quantity": 1}

    with pytest.raises(ValidationError) as error:
        services.quote_line_add(**{**values, **change})

    assert (error.value.field, error.value.code) == (field, code)
    assert QuoteLine.objects.count() == 0
    quote.refresh_from_db()
    assert quote.mrr_amount == Decimal("0.00")


def test_a_future_version_is_not_sellable_yet():
    version = make_product(effective_from=dt.date(2026, 4, 1))
    account = make_account()
    quote = services.quote_create(account=account)

    with pytest.raises(ValidationError) as error:
        services.quote_line_add(quote=quote, location=make_location(account), product_version=version, term_months=12)

    assert error.value.code == "not_sellable"


def test_an_empty_quote_cannot_be_presented():
    quote = services.quote_create(account=make_account())

    with pytest.raises(ValidationError):
        services.quote_present(quote=quote)

    quote.refresh_from_db()
    assert quote.status == "draft"


def test_presenting_fixes_a_validity_date():
    quote = make_quote(status="presented")

    assert quote.valid_until == dt.date(2026, 4, 1)  # 2 March + 30 days


def test_a_presented_quote_is_no_longer_editable():
    quote = make_quote(status="presented")
    line = quote.lines.get()

    with pytest.raises(Conflict):
        services.quote_line_remove(line=line)

    assert quote.lines.count() == 1


@pytest.mark.parametrize(
    ("start", "action", "allowed"),
    [
        ("draft", "present", True),
        ("draft", "accept", False),
        ("draft", "reject", False),
        ("draft", "expire", True),
        ("presented", "accept", True),
        ("presented", "reject", True),
        ("presented", "expire", True),
        ("presented", "present", False),
        ("accepted", "reject", False),
        ("accepted", "expire", False),
    ],
)
def test_quote_state_machine(start, action, allowed):
    quote = make_quote(status=start)
    act = {
        "present": services.quote_present,
        "accept": services.quote_accept,
        "reject": services.quote_reject,
        "expire": services.quote_expire,
    }[action]

    if allowed:
        act(quote=quote)
    else:
        with pytest.raises(Conflict):
            act(quote=quote)
        quote.refresh_from_db()
        assert quote.status == start


def test_accept_creates_the_order_and_wins_the_opportunity_with_the_totals():
    quote = make_quote(status="presented", lines=2)

    services.quote_accept(quote=quote, accepted_by_name="Pat Customer")

    quote.refresh_from_db()
    order = Order.objects.get(quote=quote)
    assert (quote.status, quote.accepted_by_name) == ("accepted", "Pat Customer")
    assert order.lines.count() == 2
    assert Service.objects.filter(order_line__order=order, status="pending").count() == 2
    assert quote.opportunity.stage == Opportunity.Stage.CLOSED_WON
    assert quote.opportunity.amount == quote.mrr_amount
    assert quote.account.status == "active"
    assert outbox_names(subject=quote) == ["quote.created", "quote.presented", "quote.accepted"]
    assert outbox_names(subject=order) == ["order.created"]


def test_accepting_twice_is_a_conflict_and_adds_no_order():
    quote = make_quote(status="presented")
    services.quote_accept(quote=quote)

    with pytest.raises(Conflict):
        services.quote_accept(quote=quote)

    assert Order.objects.filter(quote=quote).count() == 1
    assert outbox_names(subject=quote).count("quote.accepted") == 1


def test_an_expired_quote_cannot_be_accepted():
    quote = make_quote(status="presented")

    with clock.frozen(dt.datetime(2026, 4, 2, 15, tzinfo=dt.UTC)), pytest.raises(Conflict) as error:
        services.quote_accept(quote=quote)

    assert error.value.code == "quote_expired"
    assert Order.objects.count() == 0


def test_expire_due_expires_presented_quotes_past_validity_and_is_idempotent():
    quote = make_quote(status="presented")

    with clock.frozen(dt.datetime(2026, 4, 2, 15, tzinfo=dt.UTC)):
        counts = (services.quote_expire_due(), services.quote_expire_due())

    quote.refresh_from_db()
    assert (counts, quote.status) == ((1, 0), "expired")


def test_accept_fails_whole_when_a_product_has_no_template():
    version = make_product(tasks=None)
    quote = make_quote(status="presented", version=version)
    version.product.templates.all().delete()  # a last guard: lines and presenting check this first

    with pytest.raises(Conflict) as error:
        services.quote_accept(quote=quote)

    assert error.value.code == "no_template"
    quote.refresh_from_db()
    assert (quote.status, Order.objects.count(), Service.objects.count()) == ("presented", 0, 0)


def test_the_daily_command_expires_quotes_past_validity():
    from io import StringIO

    from django.core.management import call_command

    quote = make_quote(status="presented")
    out = StringIO()

    with clock.frozen(dt.datetime(2026, 4, 2, 15, tzinfo=dt.UTC)):
        call_command("expire_quotes", stdout=out)

    quote.refresh_from_db()
    assert (quote.status, out.getvalue().strip()) == ("expired", "Expired 1 quotes.")
