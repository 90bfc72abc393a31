"""Serviceability of a location and the eligibility of each offering there."""

from decimal import Decimal

import pytest

from headend.network import selectors, services
from tests.factories import make_account, make_location
from tests.network.factories import (
    PIONEER_CELL,
    SAMPLE,
    address_list,
    fcc_line,
    import_addresses,
    import_fcc,
    located_in,
    make_offering,
    write_csv,
)

pytestmark = pytest.mark.django_db

CHARTER_CELL = "882b18133bfffff"  # Fidium 2000/2000 (R) 1, Charter 1000/35 (B) 3, Great Works 105/105 (B) 1


@pytest.fixture
def catalog():
    return {
        "fiber_300": make_offering("Fiber 300", down=300, up=300),
        "fiber_1g": make_offering("Fiber 1 Gig"),
        "fiber_2g": make_offering("Fiber 2 Gig", down=2000, up=2000),
        "cable_500": make_offering("Cable 500", technology="cable", down=500, up=50),
        "dia_1g": make_offering("Dedicated Internet 1 Gbps", customer_type="business"),
        "static_ip": make_offering(
            "Static IP 29", customer_type="any", kind="addon", technology="", down=None, up=None
        ),
        "voice": make_offering("Home Voice", kind="voice", technology="", down=None, up=None),
        "fiber_5g_draft": make_offering("Fiber 5 Gig", down=5000, up=5000, publish=False),
    }


def names(checks):
    return [check.version.product.name for check in checks]


def test_serviceability_in_an_fcc_cell_lists_what_fits_and_why_the_rest_does_not(catalog):
    import_fcc(SAMPLE)
    location = located_in(PIONEER_CELL)

    service = selectors.serviceability_for(location=location)

    assert (service.status, service.h3_cell, service.matched_sources) == (
        "serviceable",
        PIONEER_CELL,
        ("FCC BDC (H3 cell)",),
    )
    assert [(t.technology, t.max_down_mbps, t.max_up_mbps) for t in service.technologies] == [
        ("fiber", Decimal("1000"), Decimal("1000"))
    ]
    assert service.technologies[0].evidence == [
        ("FCC BDC (H3 cell)", "Pioneer Broadband: 165 FCC locations in this cell", "1000 Mbps")
    ]
    assert names(service.sellable) == ["Static IP 29", "Fiber 1 Gig", "Fiber 300", "Home Voice"]
    assert [(check.code, check.reason) for check in service.ineligible] == [
        ("technology_unavailable", "Cable 500 needs cable; the location has fiber only."),
        ("download_exceeds_coverage", "Fiber 2 Gig needs 2000 Mbps; the location has 1000 Mbps fiber."),
    ]


def test_offering_eligibility_refuses_an_offering_too_fast_with_the_reason(catalog):
    import_fcc(SAMPLE)
    location = located_in(PIONEER_CELL)

    assert selectors.offering_eligibility(location, catalog["fiber_2g"]) == (
        False,
        "Fiber 2 Gig needs 2000 Mbps; the location has 1000 Mbps fiber.",
    )
    assert selectors.offering_eligibility(location, catalog["fiber_1g"]) == (
        True,
        "Fiber 1 Gig fits: the location has 1000 Mbps fiber.",
    )


def test_offering_eligibility_at_the_speed_limit_and_one_past_it(tmp_path):
    import_fcc(write_csv(tmp_path / "one.csv", [fcc_line(down="940", up="880")]))
    location = located_in(PIONEER_CELL)
    at_limit = make_offering("Fiber 940", down=940, up=880)
    past_down = make_offering("Fiber 941", down=941, up=880)
    past_up = make_offering("Fiber 940 up", down=940, up=881)

    assert selectors.offering_eligibility(location, at_limit)[0] is True
    assert selectors.offering_eligibility(location, past_down) == (
        False,
        "Fiber 941 needs 941 Mbps; the location has 940 Mbps fiber.",
    )
    assert selectors.offering_eligibility(location, past_up) == (
        False,
        "Fiber 940 up needs 881 Mbps up; the location has 880 Mbps up on fiber.",
    )


def test_serviceability_for_a_business_counts_only_business_fcc_rows(catalog):
    import_fcc(SAMPLE)
    business = make_account("business")

    service = selectors.serviceability_for(location=located_in(CHARTER_CELL, business))

    assert [offer.detail for offer in service.offers] == [
        "Charter Communications Inc: 3 FCC locations in this cell",
        "Great Works Internet: 1 FCC location in this cell",
    ]
    assert names(service.offerings) == ["Static IP 29", "Dedicated Internet 1 Gbps"]
    assert [check.reason for check in service.ineligible] == [
        "Dedicated Internet 1 Gbps needs 1000 Mbps up; the location has 35 Mbps up on fiber."
    ]


def test_serviceability_for_a_resident_of_the_same_cell_sees_the_residential_rows(catalog):
    import_fcc(SAMPLE)

    service = selectors.serviceability_for(location=located_in(CHARTER_CELL))

    assert [(t.technology, t.max_down_mbps) for t in service.technologies] == [("fiber", Decimal("2000"))]
    assert "Fiber 2 Gig" in names(service.sellable)


def test_serviceability_of_an_unknown_location_is_unknown_and_sells_nothing(catalog):
    import_fcc(SAMPLE)
    location = make_location(make_account("residential"))

    service = selectors.serviceability_for(location=location)

    assert (service.status, service.known, service.h3_cell, service.offerings, service.technologies) == (
        "unknown",
        False,
        None,
        (),
        (),
    )
    assert service.unknown_reason == (
        "Coverage here is unknown: the address is on no address list and the location has no coordinates "
        "to look up its H3 cell."
    )
    assert selectors.offering_eligibility(location, catalog["static_ip"]) == (False, service.unknown_reason)


def test_serviceability_in_a_cell_without_coverage_is_unknown_and_names_the_cell(catalog):
    import_fcc(SAMPLE)
    location = make_location(make_account("residential"), latitude="40.7128", longitude="-74.0060")

    service = selectors.serviceability_for(location=location)

    assert service.status == "unknown"
    assert service.unknown_reason == (
        "Coverage here is unknown: no address list, FCC row or staff area covers the address or H3 cell "
        f"{service.h3_cell}."
    )


def test_serviceability_matches_the_address_list_whatever_the_spelling(catalog, tmp_path):
    import_addresses(
        address_list(
            tmp_path / "passings.csv",
            [["12 Water Street", "Suite 4", "Eastport", "ME", "04631", "fixed wireless", "100", "20"]],
        )
    )
    location = make_location(make_account("residential"), line1="12 water st.", line2="ste 4", postal_code="04631")

    service = selectors.serviceability_for(location=location)

    assert service.matched_sources == ("Address list",)
    assert [(t.technology, t.speeds) for t in service.technologies] == [("fixed_wireless", "100/20 Mbps")]
    assert names(service.sellable) == ["Static IP 29", "Home Voice"]
    assert selectors.offering_eligibility(location, catalog["fiber_300"]) == (
        False,
        "Fiber 300 needs fiber; the location has fixed wireless only.",
    )


def test_serviceability_adds_every_source_that_matches(catalog, tmp_path):
    import_fcc(SAMPLE)
    location = located_in(PIONEER_CELL, line1="9 Main St")
    import_addresses(
        address_list(tmp_path / "p.csv", [["9 Main Street", "", "Eastport", "ME", "04631", "cable", "500", "50"]])
    )

    service = selectors.serviceability_for(location=location)

    assert service.matched_sources == ("Address list", "FCC BDC (H3 cell)")
    assert [t.technology for t in service.technologies] == ["fiber", "cable"]
    assert "Cable 500" in names(service.sellable)


def test_serviceability_from_a_staff_polygon(catalog):
    area = services.coverage_area_create(
        name="Machias Phase 2",
        technology="fiber",
        max_down_mbps="2000",
        max_up_mbps="2000",
        created_by=None,
        polygon="44.700, -67.470\n44.720, -67.470\n44.720, -67.440\n44.700, -67.440",
    )
    inside = located_in(area.cells.order_by("h3_res8").first().h3_res8)

    service = selectors.serviceability_for(location=inside)

    assert service.matched_sources == ("Staff area (H3 cell)",)
    assert service.technologies[0].evidence == [("Staff area (H3 cell)", "Machias Phase 2", "2000 Mbps")]
    assert "Fiber 2 Gig" in names(service.sellable)


def test_offering_eligibility_names_the_customer_type_and_a_draft(catalog):
    import_fcc(SAMPLE)
    location = located_in(PIONEER_CELL)

    assert selectors.offering_eligibility(location, catalog["dia_1g"]) == (
        False,
        "Dedicated Internet 1 Gbps is sold to business customers; this is a residential account.",
    )
    assert selectors.offering_eligibility(location, catalog["fiber_5g_draft"]) == (
        False,
        "Fiber 5 Gig v1 is not on sale (draft).",
    )
