"""Changes to services the account has, quoted as deltas and ordered as modify/delete lines."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.orders.models import Order
from headend.quoting import services
from tests.factories import make_account, make_change_catalog, make_live_service, make_location, make_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    return make_change_catalog()


def test_an_upgrade_is_priced_as_a_delta_against_the_service(catalog):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    quote = make_quote(account=account, lines=0)

    line = services.quote_line_change(
        quote=quote, service=service, action="upgrade", product_version=catalog["two_gig"], term_months=24
    )

    assert (line.mrc_before_amount, line.mrc_amount, line.mrc_change_amount) == (
        Decimal("100.00"),
        Decimal("140.00"),
        Decimal("40.00"),
    )
    quote.refresh_from_db()
    assert (quote.mrr_before_amount, quote.mrr_amount, quote.mrr_change_amount) == (
        Decimal("100.00"),
        Decimal("140.00"),
        Decimal("40.00"),
    )


def test_cancelling_inside_the_term_charges_the_catalog_etf(catalog):
    account = make_account()
    service = make_live_service(account, catalog["gig"])  # 12 months from 2 March 2026
    quote = make_quote(account=account, lines=0)

    with clock.frozen(dt.datetime(2026, 9, 2, 15, tzinfo=dt.UTC)):  # 6 months left
        line = services.quote_line_change(quote=quote, service=service, action="cancel")

    assert (line.mrc_amount, line.etf_amount) == (Decimal("0.00"), Decimal("300.00"))  # 50% x 6 x 100


def test_a_move_charges_the_move_fee_and_the_order_takes_the_move_template(catalog):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    new_site = make_location(account, line1="9 Key St")
    quote = make_quote(account=account, lines=0)
    line = services.quote_line_change(quote=quote, service=service, action="move", location=new_site)
    services.quote_present(quote=quote)

    services.quote_accept(quote=quote, accepted_by_name="Pat")

    assert line.nrc_amount == Decimal("150.00")
    order_line = Order.objects.get(quote=quote).lines.get()
    assert (order_line.action, order_line.target_service, order_line.work_order.action) == ("modify", service, "move")


def test_one_quote_adds_upgrades_and_cancels_and_the_order_names_the_services(catalog):
    account = make_account()
    keep, drop = make_live_service(account, catalog["gig"]), make_live_service(account, catalog["gig"])
    quote = make_quote(account=account, lines=1, version=catalog["two_gig"])
    services.quote_line_change(quote=quote, service=keep, action="upgrade", product_version=catalog["two_gig"])
    services.quote_line_change(quote=quote, service=drop, action="cancel")
    services.quote_present(quote=quote)

    services.quote_accept(quote=quote, accepted_by_name="Pat")

    lines = Order.objects.get(quote=quote).lines.order_by("position")
    assert [(line.action, line.target_service) for line in lines] == [("add", None), ("modify", keep), ("delete", drop)]
    drop.refresh_from_db()
    assert drop.status == "pending_disconnect"


def test_a_service_with_a_change_in_flight_cannot_be_changed_again(catalog):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    first = make_quote(account=account, lines=0)
    services.quote_line_change(quote=first, service=service, action="upgrade", product_version=catalog["two_gig"])
    services.quote_present(quote=first)
    services.quote_accept(quote=first, accepted_by_name="Pat")
    second = make_quote(account=account, lines=0)

    with pytest.raises(Conflict) as error:
        services.quote_line_change(quote=second, service=service, action="cancel")

    assert error.value.code == "change_in_flight"
    assert second.lines.count() == 0


@pytest.mark.parametrize(
    ("case", "field", "code"),
    [
        ("foreign", "service", "foreign_service"),
        ("downgrade_without_path", "product_version", "not_on_path"),
        ("re_rate_without_price", "negotiated_mrc_amount", None),
        ("move_to_same_place", "location", "same_location"),
        ("unknown_action", "action", "invalid_choice"),
    ],
)
def test_bad_change_lines_name_the_field_and_write_nothing(catalog, case, field, code):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    quote = make_quote(account=account, lines=0)
    kwargs = {
        "foreign": {"service": make_live_service(make_account(), catalog["gig"]), "action": "cancel"},
        "downgrade_without_path": {"action": "downgrade", "product_version": catalog["two_gig"]},
        "re_rate_without_price": {"action": "re_rate"},
        "move_to_same_place": {"action": "move", "location": service.location},
        "unknown_action": {"action": "teleport"},
    }[case]

    with pytest.raises(ValidationError) as error:
        services.quote_line_change(quote=quote, **{"service": service, **kwargs})

    assert error.value.field == field
    if code:
        assert error.value.code == code
    assert quote.lines.count() == 0


def test_a_disconnected_service_cannot_be_changed(catalog):
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    from headend.inventory import services as inventory_services

    inventory_services.service_request_disconnect(service=service, reason="moving")
    inventory_services.service_disconnect(service=service, at=clock.now())
    quote = make_quote(account=account, lines=0)

    with pytest.raises(ValidationError) as error:
        services.quote_line_change(quote=quote, service=service, action="cancel")

    assert error.value.code == "service_not_live"


def test_the_builder_lists_the_services_and_adds_a_change(client, catalog):
    from django.urls import reverse

    from tests.factories import make_user

    account = make_account()
    service = make_live_service(account, catalog["gig"])
    quote = make_quote(account=account, lines=0)
    client.force_login(make_user("sales"))

    page = client.get(reverse("quoting:quote_detail", args=[quote.pk]))
    response = client.post(
        reverse("quoting:quote_line_change", args=[quote.pk]),
        {"service": service.pk, "action": "upgrade", "product_version": catalog["two_gig"].pk, "term_months": "24"},
        follow=True,
    )

    assert [s.pk for s in page.context["live_services"]] == [service.pk]
    assert "Upgrade of" in response.content.decode()
    assert quote.lines.get().mrc_change_amount == Decimal("40.00")
    assert response.context["live_services"] == []


def test_a_term_and_discount_apply_to_many_lines_at_once():
    quote = make_quote(lines=3)
    first, second, _third = quote.lines.order_by("position")

    services.quote_lines_update(quote=quote, line_ids=[first.pk, second.pk], term_months=24, discount_percent="10")

    lines = list(quote.lines.order_by("position"))
    assert [(line.term_months, line.discount_percent, line.mrc_amount) for line in lines] == [
        (24, Decimal("10"), Decimal("54.00")),
        (24, Decimal("10"), Decimal("54.00")),
        (12, Decimal("0"), Decimal("65.00")),
    ]
    quote.refresh_from_db()
    assert quote.mrr_amount == Decimal("173.00")


def test_a_term_one_line_is_not_sold_on_refuses_the_whole_edit():
    quote = make_quote(lines=2)

    with pytest.raises(ValidationError) as error:
        services.quote_lines_update(
            quote=quote, line_ids=list(quote.lines.values_list("pk", flat=True)), term_months=36
        )

    assert error.value.message.startswith("Line 1:")
    assert set(quote.lines.values_list("term_months", flat=True)) == {12}
