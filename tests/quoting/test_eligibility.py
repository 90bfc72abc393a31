"""Lines a quote refuses: an offering the location cannot take, an add-on without its base."""

import h3
import pytest

from headend.catalog.services import TaskSpec
from headend.core.errors import ValidationError
from headend.network import services as network_services
from headend.quoting import services
from tests.factories import make_account, make_location, make_product, make_quote

pytestmark = pytest.mark.django_db

LAT, LNG = "44.9062", "-66.9898"  # Eastport, Maine


def covered_location(account, *, down: int):
    cell = h3.latlng_to_cell(float(LAT), float(LNG), 8)
    network_services.coverage_area_create(
        name="Eastport build", technology="fiber", max_down_mbps=down, max_up_mbps=down, created_by=None, cells=cell
    )
    return make_location(account, latitude=LAT, longitude=LNG)


def test_an_offering_too_fast_for_the_location_is_refused_with_the_reason():
    account = make_account()
    location = covered_location(account, down=1000)
    two_gig = make_product(download_mbps=2000, upload_mbps=2000)
    quote = make_quote(account=account, lines=0)

    with pytest.raises(ValidationError) as error:
        services.quote_line_add(quote=quote, location=location, product_version=two_gig, term_months=12)

    assert (error.value.field, error.value.code) == ("product_version", "not_serviceable")
    assert "2000" in error.value.message
    assert "1000" in error.value.message
    assert quote.lines.count() == 0


def test_an_offering_within_the_coverage_is_accepted():
    account = make_account()
    location = covered_location(account, down=1000)
    gig = make_product(download_mbps=1000, upload_mbps=1000)
    quote = make_quote(account=account, lines=0)

    services.quote_line_add(quote=quote, location=location, product_version=gig, term_months=12)

    assert quote.lines.count() == 1


def test_an_add_on_needs_its_base_product_at_the_location():
    account = make_account()
    base = make_product()
    addon = make_product(kind="addon", download_mbps=None, upload_mbps=None, technology="", tasks=[TaskSpec("Set up")])
    addon.product.addon_of.add(base.product)
    location = make_location(account)
    quote = make_quote(account=account, lines=0)

    with pytest.raises(ValidationError) as error:
        services.quote_line_add(quote=quote, location=location, product_version=addon, term_months=12)
    services.quote_line_add(quote=quote, location=location, product_version=base, term_months=12)
    services.quote_line_add(quote=quote, location=location, product_version=addon, term_months=12)

    assert error.value.code == "addon_without_base"
    assert quote.lines.count() == 2
