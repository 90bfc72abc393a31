"""Many lines at once (`quote_lines_add`, a file of sites): the single line's rules, the same
prices, all or nothing, one event naming the lines."""

import datetime as dt
from decimal import Decimal as D

import pytest

from headend.catalog import services as catalog_services
from headend.core.errors import ValidationError
from headend.core.models import OutboxEvent
from headend.crm import services as crm_services
from headend.crm.models import Location
from headend.quoting import services
from headend.quoting.line_prices import PRICE_FIELDS
from headend.quoting.models import QuoteLine
from tests.factories import define_change_templates, make_account, make_location, make_product

pytestmark = pytest.mark.django_db


def _new(location, version, term=12, quantity=1):
    return services.NewLine(location=location, product_version=version, term_months=term, quantity=quantity)


def test_many_lines_are_priced_as_each_would_be_alone_promotions_included():
    plan = make_product(prices={12: ("65.00", "99.00"), 24: ("60.00", "0.00")})
    catalog_services.promotion_create(
        product=plan.product,
        code="half-3",
        name="Half price for 3 months",
        valid_from=dt.date(2026, 1, 1),
        mrc_off_kind="percent",
        mrc_off_value="50",
        mrc_off_months=3,
        waives_installation=True,
        terms=[12],
    )
    account = make_account()
    alone = services.quote_create(account=account, name="One at a time")
    together = services.quote_create(account=account, name="At once")
    asked = [(make_location(account), 12, 1), (make_location(account), 24, 3), (make_location(account), 12, 7)]
    singles = [
        services.quote_line_add(quote=alone, location=site, product_version=plan, term_months=term, quantity=qty)
        for site, term, qty in asked
    ]

    batch = services.quote_lines_add(quote=together, lines=[_new(site, plan, term, qty) for site, term, qty in asked])

    assert [[getattr(line, f) for f in PRICE_FIELDS] for line in batch] == [
        [getattr(line, f) for f in PRICE_FIELDS] for line in singles
    ]
    assert [line.promotion.code if line.promotion else None for line in batch] == ["half-3", None, "half-3"]
    assert batch[0].promo_mrc_amount == D("32.50")
    alone.refresh_from_db()
    together.refresh_from_db()
    assert together.mrr_amount == alone.mrr_amount == D("65.00") + D("180.00") + D("455.00")


def test_a_line_at_fault_refuses_them_all_naming_it_and_writes_nothing():
    plan = make_product()
    account = make_account()
    quote = services.quote_create(account=account, name="Fleet")
    foreign = make_location(make_account())

    with pytest.raises(ValidationError) as refused:
        services.quote_lines_add(
            quote=quote,
            lines=[
                _new(make_location(account), plan),
                _new(make_location(account), plan, quantity=0),
                _new(foreign, plan),
            ],
        )

    assert (refused.value.field, refused.value.code) == ("quantity", "invalid_quantity")
    assert refused.value.message == "Line 2: Quantity must be at least 1."
    assert QuoteLine.objects.count() == 0
    assert QuoteLine.history.count() == 0
    assert not OutboxEvent.objects.filter(name="quote.lines_added").exists()


def test_a_term_the_version_is_not_sold_on_is_refused_on_its_line():
    plan = make_product(prices={12: ("65.00", "0.00")})
    account = make_account()
    quote = services.quote_create(account=account, name="Fleet")

    with pytest.raises(ValidationError) as refused:
        services.quote_lines_add(
            quote=quote,
            lines=[_new(make_location(account), plan, term=12), _new(make_location(account), plan, term=36)],
        )

    assert (refused.value.field, refused.value.code) == ("term_months", "term_not_offered")
    assert refused.value.message.startswith("Line 2: ")
    assert QuoteLine.objects.count() == 0


def test_no_lines_is_refused():
    quote = services.quote_create(account=make_account(), name="Empty")

    with pytest.raises(ValidationError) as refused:
        services.quote_lines_add(quote=quote, lines=[])

    assert (refused.value.field, refused.value.code) == ("lines", "required")


def test_the_lines_follow_the_quote_and_one_event_names_them():
    plan = make_product()
    account = make_account()
    quote = services.quote_create(account=account, name="Fleet")
    services.quote_line_add(quote=quote, location=make_location(account), product_version=plan, term_months=12)

    lines = services.quote_lines_add(quote=quote, lines=[_new(make_location(account), plan) for _ in range(3)])

    assert [line.position for line in lines] == [2, 3, 4]
    [event] = OutboxEvent.objects.filter(name="quote.lines_added", subject_id=str(quote.pk))
    assert event.data == {"sites": 3, "line_ids": [line.pk for line in lines]}


def test_two_add_ons_at_one_site_with_no_base_named_are_refused_as_one_would_be():
    plan = make_product()
    addon = catalog_services.product_create(
        code="static-ip", name="Static IP", kind="addon", customer_type="any", addon_of=[plan.product]
    )
    version = catalog_services.version_create(
        product=addon, effective_from=dt.date(2020, 1, 1), prices={12: ("10.00", "0.00")}
    )
    catalog_services.template_define(
        product=addon, action="add", name="Route", tasks=[catalog_services.TaskSpec("Route")]
    )
    define_change_templates(addon)
    version = catalog_services.version_publish(version=version)
    account = make_account()
    site = make_location(account)
    quote = services.quote_create(account=account, name="Two bases")

    with pytest.raises(ValidationError) as refused:
        services.quote_lines_add(quote=quote, lines=[_new(site, plan), _new(site, plan), _new(site, version)])

    assert (refused.value.field, refused.value.code) == ("rides_on", "base_ambiguous")
    assert "choose one (line 1 " in refused.value.message
    assert "; line 2 " in refused.value.message
    assert QuoteLine.objects.count() == 0


# The account's sites many at once (crm), as a file of sites adds them.


def test_many_sites_refuse_an_address_the_account_has_and_write_nothing():
    account = make_account()
    crm_services.location_create(account=account, line1="84 Water St", city="Eastport", state="ME", postal_code="04631")
    sites = [
        crm_services.NewLocation(line1="12 Sea St", city="Eastport", state="ME", postal_code="04631"),
        crm_services.NewLocation(line1="84 water street", city="Eastport", state="ME", postal_code="04631"),
    ]

    with pytest.raises(ValidationError) as refused:
        crm_services.locations_create(account=account, sites=sites)

    assert (refused.value.field, refused.value.code) == ("line1", "duplicate_location")
    assert Location.objects.filter(account=account).count() == 1
    assert (
        not OutboxEvent.objects.filter(name="location.created", data__account_id=account.pk)
        .exclude(subject_id=str(Location.objects.get(account=account).pk))
        .exists()
    )


def test_many_sites_refuse_the_same_address_twice_among_them():
    account = make_account()
    sites = [
        crm_services.NewLocation(line1="12 Sea St", city="Eastport", state="ME", postal_code="04631"),
        crm_services.NewLocation(line1="12 SEA STREET", city="Eastport", state="ME", postal_code="04631"),
    ]

    with pytest.raises(ValidationError) as refused:
        crm_services.locations_create(account=account, sites=sites)

    assert refused.value.code == "duplicate_location"
    assert not Location.objects.filter(account=account).exists()


def test_many_sites_are_saved_with_their_history_and_one_event_each():
    account = make_account()

    created = crm_services.locations_create(
        account=account,
        sites=[
            crm_services.NewLocation(line1=f"{n} Sea St", city="Eastport", state="ME", postal_code="04631")
            for n in (1, 2)
        ],
    )

    assert [location.line1 for location in created] == ["1 SEA ST", "2 SEA ST"]
    assert Location.history.filter(account_id=account.pk, history_type="+").count() == 2
    assert sorted(OutboxEvent.objects.filter(name="location.created").values_list("subject_id", flat=True)) == sorted(
        str(location.pk) for location in created
    )
