import pytest
from django.urls import reverse

from headend.quoting.models import QuoteLine
from tests.factories import make_account, make_location, make_product, make_quote, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales_client(client):
    client.force_login(make_user("sales"))
    return client


def test_htmx_line_add_returns_the_lines_partial_with_new_totals(sales_client):
    account = make_account()
    location = make_location(account)
    version = make_product(prices={12: ("65.00", "0.00")})
    quote = make_quote(account=account, lines=0)

    response = sales_client.post(
        reverse("quoting:quote_line_add", args=[quote.pk]),
        {"location": location.pk, "product_version": version.pk, "term_months": 12, "quantity": 2},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('\n<section id="lines">') or html.lstrip().startswith('<section id="lines">')
    assert "$130.00" in html
    assert "<html" not in html


def test_htmx_line_add_with_bad_quantity_shows_the_error_and_adds_nothing(sales_client):
    account = make_account()
    location = make_location(account)
    version = make_product()
    quote = make_quote(account=account, lines=0)

    response = sales_client.post(
        reverse("quoting:quote_line_add", args=[quote.pk]),
        {"location": location.pk, "product_version": version.pk, "term_months": 12, "quantity": 0},
        HTTP_HX_REQUEST="true",
    )

    assert "Quantity must be at least 1." in response.content.decode()
    assert QuoteLine.objects.count() == 0


def test_a_location_of_another_account_is_not_offered(sales_client):
    account = make_account()
    make_location(account)
    foreign = make_location(make_account())
    quote = make_quote(account=account, lines=0)

    response = sales_client.post(
        reverse("quoting:quote_line_add", args=[quote.pk]),
        {"location": foreign.pk, "product_version": make_product().pk, "term_months": 12, "quantity": 1},
    )

    assert response.status_code == 400
    assert "location" in response.context["line_form"].errors
    assert QuoteLine.objects.count() == 0


def test_accepting_twice_from_the_ui_shows_a_conflict_and_keeps_one_order(sales_client):
    quote = make_quote(status="presented")
    url = reverse("quoting:quote_transition", args=[quote.pk, "accept"])
    sales_client.post(url, {"accepted_by_name": "Pat"})

    response = sales_client.post(url, {"accepted_by_name": "Pat"}, follow=True)

    assert "cannot become accepted" in response.content.decode()
    assert quote.account.orders.count() == 1


def test_provisioning_cannot_accept_quotes(client):
    client.force_login(make_user("provisioning"))
    quote = make_quote(status="presented")

    response = client.post(reverse("quoting:quote_transition", args=[quote.pk, "accept"]), {"accepted_by_name": "Pat"})

    assert response.status_code == 403
    quote.refresh_from_db()
    assert quote.status == "presented"


def test_approver_approves_from_the_quote_page(client):
    from decimal import Decimal

    from headend.quoting.models import ApprovalRule

    ApprovalRule.objects.create(
        name="Big deal", kind="contract_value_above", threshold=Decimal("100"), approver_role="director"
    )
    quote = make_quote(lines=1)
    approval = quote.approvals.get()
    client.force_login(make_user("director"))

    page = client.get(reverse("quoting:quote_detail", args=[quote.pk]))
    client.post(
        reverse("quoting:quote_approval", args=[quote.pk, approval.pk]), {"decision": "approve", "comment": "ok"}
    )

    assert "Total contract value $780.00 is above $100.00." in page.content.decode()
    approval.refresh_from_db()
    assert (approval.status, approval.comment) == ("approved", "ok")


def test_revise_and_compare_from_the_ui(sales_client):
    quote = make_quote(lines=2, status="presented")

    response = sales_client.post(reverse("quoting:quote_revise", args=[quote.pk]))
    revision = quote.next_revision
    line = revision.lines.first()
    sales_client.post(reverse("quoting:quote_line_remove", args=[revision.pk, line.pk]))
    compare = sales_client.get(reverse("quoting:quote_compare", args=[revision.pk, quote.pk]))

    assert response.url == revision.get_absolute_url()
    assert [row.change for row in compare.context["rows"]] == ["removed", "unchanged"]


def test_bulk_apply_and_filter_from_the_builder(sales_client):
    quote = make_quote(lines=3)
    first, second, _ = quote.lines.order_by("position")

    response = sales_client.post(
        reverse("quoting:quote_lines_update", args=[quote.pk]),
        {"lines": [first.pk, second.pk], "term_months": "24", "discount_percent": "10"},
        HTTP_HX_REQUEST="true",
    )
    filtered = sales_client.get(reverse("quoting:quote_detail", args=[quote.pk]), {"q": first.location.line1.lower()})

    assert "Updated 2 lines." in response.content.decode()
    assert list(quote.lines.order_by("position").values_list("term_months", flat=True)) == [24, 24, 12]
    assert [line.pk for group in filtered.context["groups"] for line in group["lines"]] == [first.pk]


def test_an_add_on_line_names_the_line_it_rides_on_in_the_builder(sales_client):
    from headend.catalog import services as catalog_services
    from tests.factories import define_change_templates

    account = make_account()
    location = make_location(account)
    base = make_product()
    addon = catalog_services.product_create(
        code="wifi", name="Wi-Fi", kind="addon", customer_type="any", addon_of=[base.product]
    )
    define_change_templates(addon)
    wifi = catalog_services.version_publish(
        version=catalog_services.version_create(
            product=addon, effective_from=base.effective_from, prices={12: ("10.00", "0.00")}
        )
    )
    quote = make_quote(account=account, lines=0)
    url = reverse("quoting:quote_line_add", args=[quote.pk])
    for _ in range(2):
        sales_client.post(url, {"location": location.pk, "product_version": base.pk, "term_months": 12, "quantity": 1})
    second = quote.lines.get(position=2)

    page = sales_client.get(quote.get_absolute_url()).content.decode()
    ambiguous = sales_client.post(
        url, {"location": location.pk, "product_version": wifi.pk, "term_months": 12, "quantity": 1}
    )
    chosen = sales_client.post(
        url,
        {
            "location": location.pk,
            "product_version": wifi.pk,
            "term_months": 12,
            "quantity": 1,
            "rides_on": f"line:{second.pk}",
        },
    )

    assert f'value="line:{second.pk}"' in page
    assert ambiguous.status_code == 400
    assert "can ride on more than one service" in ambiguous.content.decode()
    assert chosen.status_code == 302
    assert quote.lines.get(product_version=wifi).base_line == second
