"""A quote line must be able to become work: checked at the line and when presented, never at the
customer's signature; publishing needs every template; a re-term or re-rate needs no work."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import services as catalog_services
from headend.catalog.models import WorkOrderTemplate
from headend.core.errors import ValidationError
from headend.fulfillment.models import WorkOrder
from headend.orders.models import Order
from headend.quoting import pricing, services
from headend.quoting.models import QuoteLine
from tests.factories import (
    make_account,
    make_change_catalog,
    make_live_service,
    make_location,
    make_product,
    make_quote,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    return make_change_catalog()


def drop_template(version, action: str) -> None:
    WorkOrderTemplate.objects.filter(product=version.product, action=action).delete()


def test_an_add_line_without_an_add_template_is_refused_at_the_line():
    version = make_product()
    drop_template(version, "add")
    quote = make_quote(lines=0)

    with pytest.raises(ValidationError) as error:
        services.quote_line_add(
            quote=quote, location=make_location(quote.account), product_version=version, term_months=12
        )

    assert (error.value.code, error.value.field) == ("no_template", "product_version")
    assert "cannot be sold on a quote yet" in error.value.message
    assert quote.lines.count() == 0


@pytest.mark.parametrize(
    ("action", "template", "words"),
    [("upgrade", "modify", "cannot be changed"), ("cancel", "delete", "cannot be disconnected")],
)
def test_a_change_line_without_its_template_is_refused_at_the_line(catalog, action, template, words):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    drop_template(catalog["two_gig"] if action == "upgrade" else catalog["gig"], template)
    quote = make_quote(account=account, lines=0)

    with pytest.raises(ValidationError) as error:
        services.quote_line_change(
            quote=quote,
            service=service,
            action=action,
            product_version=catalog["two_gig"] if action == "upgrade" else None,
        )

    assert (error.value.code, error.value.field) == ("no_template", "action")
    assert words in error.value.message
    assert quote.lines.count() == 0


def test_a_move_needs_the_move_template(catalog):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    drop_template(catalog["gig"], "move")
    quote = make_quote(account=account, lines=0)

    with pytest.raises(ValidationError) as error:
        services.quote_line_change(quote=quote, service=service, action="move", location=make_location(account))

    assert (error.value.code, "cannot be moved" in error.value.message) == ("no_template", True)


def test_presenting_checks_every_line_again():
    version = make_product()
    quote = make_quote(version=version, lines=2)
    drop_template(version, "add")

    with pytest.raises(ValidationError) as error:
        services.quote_present(quote=quote)

    assert (error.value.code, error.value.field) == ("no_template", "quoteItem[1]")
    quote.refresh_from_db()
    assert quote.status == "draft"


def test_publishing_needs_a_template_for_every_action_a_quote_can_ask():
    product = catalog_services.product_create(code="bare", name="Bare", kind="internet", customer_type="any")
    version = catalog_services.version_create(
        product=product, effective_from=dt.date(2020, 1, 1), prices={12: ("50.00", "0.00")}
    )
    for action in ("add", "modify", "move"):
        catalog_services.template_define(
            product=product, action=action, name=action, tasks=[catalog_services.TaskSpec("Do it")]
        )

    with pytest.raises(ValidationError) as error:
        catalog_services.version_publish(version=version)

    assert (error.value.code, error.value.field) == ("templates_missing", "templates")
    assert "disconnect, suspend, restore" in error.value.message
    version.refresh_from_db()
    assert version.status == "draft"


def test_an_add_on_needs_no_suspend_or_restore_template():
    base = make_product()
    addon = catalog_services.product_create(
        code="wifi", name="Wi-Fi", kind="addon", customer_type="any", addon_of=[base.product]
    )

    assert catalog_services.missing_template_actions(product=addon) == ["add", "modify", "move", "delete"]


@pytest.mark.parametrize("action", ["re_term", "re_rate"])
def test_a_re_term_or_re_rate_takes_effect_at_acceptance_with_no_work_order(catalog, frozen_clock, action):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    quote = make_quote(account=account, lines=0)
    services.quote_line_change(
        quote=quote,
        service=service,
        action=action,
        term_months=24,
        negotiated_mrc_amount="95.00" if action == "re_rate" else None,
    )
    services.quote_present(quote=quote)

    services.quote_accept(quote=quote, accepted_by_name="Pat")

    order = Order.objects.get(quote=quote)
    service.refresh_from_db()
    assert order.status == "completed"
    assert not WorkOrder.objects.filter(order_line__order=order).exists()
    assert service.term_months == 24
    assert service.current_since == frozen_clock
    assert service.mrc_amount == (Decimal("95.00") if action == "re_rate" else Decimal("90.00"))


def test_a_re_term_onto_another_product_version_is_work():
    assert QuoteLine.work_action("re_term", changes_version=True, moves=False) == "modify"
    assert QuoteLine.work_action("re_term", changes_version=False, moves=False) is None
    assert QuoteLine.work_action("move", changes_version=False, moves=True) == "move"
    assert QuoteLine.work_action("cancel", changes_version=False, moves=False) == "delete"


@pytest.mark.parametrize(("months_left", "fee"), [(4, "200.00"), (6, "300.00"), (7, "300.00"), (30, "300.00")])
def test_the_etf_counts_at_most_the_capped_months(months_left, fee):
    rule = pricing.EtfRule(kind="percent_of_remaining", percent=Decimal(100), cap_months=6)

    assert pricing.etf_amount(rule, mrc_amount=Decimal("50.00"), months_left=months_left) == Decimal(fee)


def test_an_order_of_a_re_term_alone_shows_on_its_page_and_in_the_api(catalog, client):
    from tests.api.client import TMFClient
    from tests.api.tmf_schema import assert_valid
    from tests.factories import make_user

    account = make_account()
    service = make_live_service(account, catalog["gig"])
    quote = make_quote(account=account, lines=0)
    services.quote_line_change(quote=quote, service=service, action="re_term", term_months=24)
    services.quote_accept(quote=services.quote_present(quote=quote), accepted_by_name="Pat")
    order = Order.objects.get(quote=quote)
    sales = make_user("sales")
    client.force_login(sales)

    page = client.get(order.get_absolute_url())
    got = TMFClient.for_user(client, sales).get(f"/productOrderingManagement/v4/productOrder/{order.pk}")

    assert page.status_code == 200
    assert got.status_code == 200
    body = got.json()
    assert_valid(body, api="622", definition="ProductOrder")
    assert (body["state"], body["productOrderItem"][0]["state"]) == ("completed", "completed")
