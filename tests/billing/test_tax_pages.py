"""The staff pages of the tax table under /billing/taxes/: the list by state, add, edit, end."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from headend.billing import taxes
from headend.billing.models import TaxRate
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper():
    return make_user("billing")


@pytest.fixture
def billing_client(client, keeper):
    client.force_login(keeper)
    return client


@pytest.fixture
def sales_client(client):
    client.force_login(make_user("sales"))
    return client


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


def new_rate(**values):
    return {
        "level": "city",
        "name": "Portland utility tax",
        "state": "ME",
        "county": "",
        "city": "Portland",
        "category": "voice",
        "rate_percent": "1.0625",
        "effective_from": "2026-04-01",
        "effective_to": "",
        **values,
    }


@pytest.fixture
def table(keeper):
    """Maine's rates (one ended, one in effect, one upcoming on 2 March 2026) and New Hampshire's."""
    return {
        "old": add_rate(
            keeper, rate_percent="5", effective_from=dt.date(2025, 1, 1), effective_to=dt.date(2025, 12, 31)
        ),
        "now": add_rate(keeper),
        "next": add_rate(
            keeper, level="city", name="Portland tax", city="Portland", effective_from=dt.date(2026, 4, 1)
        ),
        "nh": add_rate(keeper, name="NH communications tax", state="NH", category="voice", rate_percent="7"),
    }


def test_tax_list_groups_rates_by_state_current_and_past(billing_client, table):
    response = billing_client.get(reverse("billing:tax_list"))

    assert response.status_code == 200
    groups = {
        group.state: ([(row.rate, row.status) for row in group.current], [(row.rate, row.status) for row in group.past])
        for group in response.context["states"]
    }
    assert groups == {
        "ME": ([(table["now"], "active"), (table["next"], "upcoming")], [(table["old"], "ended")]),
        "NH": ([(table["nh"], "active")], []),
    }
    html = response.content.decode()
    assert '<td class="num">5.5%</td>' in html
    assert "Ended rates (1)" in html
    assert "City: Portland" in html
    assert reverse("billing:tax_create") in html
    assert reverse("billing:tax_edit", args=[table["now"].pk]) in html


@pytest.mark.parametrize("role", ["sales", "support", "director", "finance"])
def test_tax_list_is_readable_by_billing_readers(client, table, role):
    client.force_login(make_user(role))

    response = client.get(reverse("billing:tax_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Maine sales tax" in html
    assert (reverse("billing:tax_create") in html) is (role == "finance")
    assert (reverse("billing:tax_edit", args=[table["now"].pk]) in html) is (role == "finance")


def test_tax_list_is_refused_to_provisioning(client):
    client.force_login(make_user("provisioning"))

    assert client.get(reverse("billing:tax_list")).status_code == 403


def test_tax_create_page_adds_the_rate(billing_client, keeper):
    assert billing_client.get(reverse("billing:tax_create")).status_code == 200

    response = billing_client.post(reverse("billing:tax_create"), new_rate())

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:tax_list")
    rate = TaxRate.objects.get()
    assert (rate.level, rate.city, rate.category, rate.rate_percent, rate.effective_from, rate.effective_to) == (
        "city",
        "Portland",
        "voice",
        Decimal("1.0625"),
        dt.date(2026, 4, 1),
        None,
    )
    assert rate.history.get().history_user == keeper


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"rate_percent": "101"}, "rate_percent", "Enter a number from 0 to 100."),
        ({"rate_percent": "1.00001"}, "rate_percent", "Enter a number with at most 4 decimal places."),
        ({"state": "M1"}, "state", "Enter the state&#x27;s two-letter code, such as ME."),
        ({"city": ""}, "city", "A city rate names its city."),
        ({"effective_to": "2026-03-31"}, "effective_to", "The last day cannot be before the first day."),
    ],
)
def test_tax_create_page_shows_the_use_cases_error_on_its_field(billing_client, values, field, message):
    response = billing_client.post(reverse("billing:tax_create"), new_rate(**values))

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message.replace("&#x27;", "'")]}
    assert f'<small class="error" id="id_{field}-error">{message}</small>' in response.content.decode()
    assert not TaxRate.objects.exists()


def test_tax_create_page_shows_an_overlap_on_the_first_day(billing_client, keeper):
    add_rate(keeper, level="city", name="Portland utility tax", city="Portland", category="voice")

    response = billing_client.post(reverse("billing:tax_create"), new_rate())

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["effective_from"]
    assert "These dates overlap Portland utility tax (Portland, ME)" in response.content.decode()
    assert TaxRate.objects.count() == 1


def test_tax_edit_page_saves_the_changes(billing_client, keeper):
    rate = add_rate(keeper)
    page = billing_client.get(reverse("billing:tax_edit", args=[rate.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial["rate_percent"] == Decimal("5.5")

    response = billing_client.post(
        reverse("billing:tax_edit", args=[rate.pk]),
        new_rate(level="state", city="", category="internet", rate_percent="5.75", effective_from="2026-01-01"),
    )

    assert response.status_code == 302
    rate.refresh_from_db()
    assert (rate.name, rate.rate_percent, rate.effective_from) == (
        "Portland utility tax",
        Decimal("5.75"),
        dt.date(2026, 1, 1),
    )


def test_tax_edit_page_shows_bad_input_on_its_field(billing_client, keeper):
    rate = add_rate(keeper)

    response = billing_client.post(
        reverse("billing:tax_edit", args=[rate.pk]), new_rate(level="state", city="", rate_percent="-1")
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"rate_percent": ["Enter a number from 0 to 100."]}
    rate.refresh_from_db()
    assert rate.rate_percent == Decimal("5.5")


def test_tax_edit_page_of_an_unknown_rate_is_404(billing_client):
    assert billing_client.get(reverse("billing:tax_edit", args=[987654])).status_code == 404


def test_tax_end_page_ends_the_rate(billing_client, keeper):
    rate = add_rate(keeper)

    response = billing_client.post(reverse("billing:tax_end", args=[rate.pk]), {"last_day": "2026-06-30"})

    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.effective_to == dt.date(2026, 6, 30)


def test_tax_end_page_shows_a_last_day_before_the_start_on_its_field(billing_client, keeper):
    rate = add_rate(keeper)

    response = billing_client.post(reverse("billing:tax_end", args=[rate.pk]), {"last_day": "2025-12-31"})

    assert response.status_code == 200
    assert response.context["end_form"].errors == {
        "last_day": ["The last day cannot be before the rate starts (2026-01-01)."]
    }
    rate.refresh_from_db()
    assert rate.effective_to is None


def test_tax_end_page_takes_only_post(billing_client, keeper):
    rate = add_rate(keeper)

    assert billing_client.get(reverse("billing:tax_end", args=[rate.pk])).status_code == 405


def test_tax_pages_refuse_sales_changes(sales_client, keeper):
    rate = add_rate(keeper)

    create = sales_client.post(reverse("billing:tax_create"), new_rate())
    edit = sales_client.post(reverse("billing:tax_edit", args=[rate.pk]), new_rate(level="state", city=""))
    end = sales_client.post(reverse("billing:tax_end", args=[rate.pk]), {"last_day": "2026-06-30"})

    assert (create.status_code, edit.status_code, end.status_code) == (403, 403, 403)
    assert sales_client.get(reverse("billing:tax_create")).status_code == 403
    rate.refresh_from_db()
    assert (TaxRate.objects.count(), rate.name, rate.effective_to) == (1, "Maine sales tax", None)


def test_tax_pages_hold_nothing_the_content_security_policy_blocks(billing_client, table):
    from tests.e2e.test_csp import problems_of

    pages = [
        reverse("billing:tax_list"),
        reverse("billing:tax_create"),
        *[reverse("billing:tax_edit", args=[rate.pk]) for rate in table.values()],
    ]

    assert {page: problems_of(billing_client.get(page)) for page in pages} == {page: [] for page in pages}
