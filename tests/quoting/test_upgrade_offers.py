"""Upgrade opportunities: coverage grows where a customer runs a slower plan, and sales get an
opportunity with a draft change quote priced by the engine; nothing is offered twice."""

import datetime as dt
from decimal import Decimal

import h3
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headend.catalog import services as catalog_services
from headend.catalog.models import ProductVersion
from headend.core import clock
from headend.crm import services as crm_services
from headend.crm.models import Location, Opportunity
from headend.fulfillment import services as fulfillment_services
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.network import services as network_services
from headend.orders.models import Order
from headend.quoting import services as quoting_services
from headend.quoting import upgrades
from headend.quoting.line_prices import PRICE_FIELDS
from headend.quoting.models import Quote, QuoteLine, UpgradeOffer
from tests.conftest import outbox_names
from tests.factories import define_change_templates, make_account, make_location, make_user
from tests.network.factories import PIONEER_CELL, address_list, import_addresses

pytestmark = pytest.mark.django_db


def offering(name: str, *, technology: str, down: int, up: int, prices: dict) -> ProductVersion:
    product = catalog_services.product_create(
        code=name.lower().replace(" ", "-"), name=name, kind="internet", customer_type="residential"
    )
    version = catalog_services.version_create(
        product=product,
        effective_from=dt.date(2024, 1, 1),
        prices=prices,
        download_mbps=down,
        upload_mbps=up,
        technology=technology,
    )
    define_change_templates(product)
    return catalog_services.version_publish(version=version)


@pytest.fixture
def catalog():
    """Fixed wireless 100 with upgrade paths to fiber 1 Gig and 2 Gig; fixed wireless 50 with none."""
    fw100 = offering(
        "Fixed Wireless 100", technology="fixed_wireless", down=100, up=20, prices={12: ("55.00", "99.00")}
    )
    gig = offering(
        "Fiber 1 Gig", technology="fiber", down=1000, up=1000, prices={12: ("80.00", "149.00"), 24: ("75.00", "0.00")}
    )
    two_gig = offering("Fiber 2 Gig", technology="fiber", down=2000, up=2000, prices={12: ("120.00", "149.00")})
    fw50 = offering("Fixed Wireless 50", technology="fixed_wireless", down=50, up=10, prices={12: ("45.00", "99.00")})
    for target in (gig, two_gig):
        catalog_services.product_relate(product=fw100.product, target=target.product, kind="upgrade")
    catalog_services.product_relate(product=gig.product, target=two_gig.product, kind="upgrade")
    return {"fw100": fw100, "gig": gig, "two_gig": two_gig, "fw50": fw50}


def live_service_at(location: Location, version: ProductVersion, *, term: int = 12) -> Service:
    """An active service at `location`: sold on a quote, accepted, its one task done."""
    quote = quoting_services.quote_create(account=location.account, name="Sign-up")
    quoting_services.quote_line_add(quote=quote, location=location, product_version=version, term_months=term)
    quoting_services.quote_present(quote=quote)
    quoting_services.quote_accept(quote=quote, accepted_by_name="Pat Customer")
    order = Order.objects.get(quote=quote)
    fulfillment_services.task_complete(task=order.lines.get().work_order.tasks.get(), completed_by=None)
    return Service.objects.get(order_line__order=order)


def main_st(account=None, line1: str = "12 Main St", **extra: str) -> Location:
    account = account or make_account("residential")
    # Stored in USPS style: "12 MAIN ST, EASTPORT, ME 04631".
    return make_location(account, line1=line1, city="Eastport", state="ME", postal_code="04631", **extra)


def coverage(tmp_path, name: str, rows: list[tuple[str, str, str, str]]):
    """Import an address list of (street, technology, down, up) rows in Eastport, ME."""
    path = address_list(
        tmp_path / name, [[street, "", "Eastport", "ME", "04631", tech, down, up] for street, tech, down, up in rows]
    )
    return import_addresses(path)


def upgrade_opportunities() -> list[Opportunity]:
    return list(Opportunity.objects.filter(name__startswith="Upgrade").order_by("pk"))


def test_fiber_on_an_address_list_offers_the_fixed_wireless_customer_an_upgrade_priced_by_the_engine(
    catalog, tmp_path, run_worker
):
    seller = make_user("sales")
    location = main_st(make_account("residential", owner=seller))
    service = live_service_at(location, catalog["fw100"])
    run_worker()

    record = coverage(tmp_path, "fiber.csv", [("12 Main St", "fiber", "1000", "1000")])
    run_worker()

    offer = UpgradeOffer.objects.get()
    assert (offer.service, offer.product_version, offer.coverage_import, offer.closed_at) == (
        service,
        catalog["gig"],  # 2 Gig is on the path too, but needs more than the 1000 Mbps there
        record,
        None,
    )
    opportunity = offer.opportunity
    assert (opportunity.account, opportunity.name, opportunity.stage, opportunity.owner) == (
        location.account,
        "Upgrade to Fiber 1 Gig at 12 MAIN ST",
        "prospecting",
        seller,
    )
    quote = offer.quote
    assert (quote.opportunity, quote.status, quote.name) == (opportunity, "draft", opportunity.name)
    line = quote.lines.get()
    assert (line.action, line.target_service, line.location, line.product_version, line.term_months) == (
        "upgrade",
        service,
        location,
        catalog["gig"],
        12,
    )
    # The engine's upgrade: the 12-month price against the service's, no installation, no ETF;
    # the contract value over the 12 months left: 80 x 12, a change of (80 - 55) x 12.
    assert (line.mrc_before_amount, line.mrc_amount, line.nrc_amount, line.etf_amount) == (
        Decimal("55.00"),
        Decimal("80.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert (line.contract_value_amount, line.contract_value_change_amount) == (Decimal("960.00"), Decimal("300.00"))
    assert (quote.mrr_before_amount, quote.mrr_amount, quote.one_time_amount, quote.contract_value_amount) == (
        Decimal("55.00"),
        Decimal("80.00"),
        Decimal("0.00"),
        Decimal("960.00"),
    )
    assert quote.contract_value_change_amount == Decimal("300.00")
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("80.00")
    # Exactly what staff get quoting the same upgrade by hand.
    by_hand = quoting_services.quote_line_change(
        quote=quoting_services.quote_create(account=location.account, name="By hand"),
        service=service,
        action="upgrade",
        product_version=catalog["gig"],
    )
    assert [getattr(line, field) for field in PRICE_FIELDS] == [getattr(by_hand, field) for field in PRICE_FIELDS]
    assert outbox_names(subject=offer) == ["upgrade_offer.created"]


def test_importing_the_same_file_again_or_another_one_offers_nothing_new(catalog, tmp_path, run_worker):
    service = live_service_at(main_st(), catalog["fw100"])
    coverage(tmp_path, "fiber.csv", [("12 Main St", "fiber", "1000", "1000")])
    run_worker()

    coverage(tmp_path, "fiber.csv", [("12 Main St", "fiber", "1000", "1000")])
    run_worker()
    # Faster still while the first offer is open: still the one offer for the service.
    coverage(tmp_path, "faster.csv", [("12 Main St", "fiber", "2000", "2000"), ("14 Main St", "fiber", "1000", "1000")])
    run_worker()

    assert list(UpgradeOffer.objects.values_list("service", "product_version")) == [(service.pk, catalog["gig"].pk)]
    assert len(upgrade_opportunities()) == 1
    assert Quote.objects.filter(lines__action="upgrade").count() == 1


def test_a_declined_offer_is_not_made_again_but_a_faster_plan_is(catalog, tmp_path, run_worker):
    service = live_service_at(main_st(), catalog["fw100"])
    coverage(tmp_path, "fiber.csv", [("12 Main St", "fiber", "1000", "1000")])
    run_worker()
    first = UpgradeOffer.objects.get()
    with clock.frozen(dt.datetime(2026, 3, 9, 15, tzinfo=dt.UTC)):
        crm_services.opportunity_lose(opportunity=first.opportunity)
    run_worker()
    first.refresh_from_db()
    assert first.closed_at == dt.datetime(2026, 3, 9, 15, tzinfo=dt.UTC)

    coverage(tmp_path, "fiber.csv", [("12 Main St", "fiber", "1000", "1000")])
    run_worker()
    assert UpgradeOffer.objects.count() == 1

    coverage(tmp_path, "faster.csv", [("12 Main St", "fiber", "2000", "2000")])
    run_worker()
    assert list(UpgradeOffer.objects.order_by("pk").values_list("service", "product_version", "closed_at")) == [
        (service.pk, catalog["gig"].pk, dt.datetime(2026, 3, 9, 15, tzinfo=dt.UTC)),
        (service.pk, catalog["two_gig"].pk, None),
    ]


def test_a_customer_already_on_the_fastest_plan_there_gets_nothing(catalog, tmp_path, run_worker):
    live_service_at(main_st(), catalog["gig"])  # its path to 2 Gig needs more than the 1000 Mbps there
    run_worker()

    coverage(tmp_path, "fiber.csv", [("12 Main St", "fiber", "1000", "1000")])
    run_worker()

    assert (UpgradeOffer.objects.count(), upgrade_opportunities()) == (0, [])


def test_a_plan_without_an_upgrade_path_gets_nothing(catalog, tmp_path, run_worker):
    live_service_at(main_st(), catalog["fw50"])

    coverage(tmp_path, "fiber.csv", [("12 Main St", "fiber", "1000", "1000")])
    run_worker()

    assert (UpgradeOffer.objects.count(), upgrade_opportunities()) == (0, [])


def test_a_disconnected_service_gets_nothing(catalog, tmp_path, run_worker):
    service = live_service_at(main_st(), catalog["fw100"])
    inventory_services.service_request_disconnect(service=service, reason="moving away")
    inventory_services.service_disconnect(service=service, at=clock.now())

    coverage(tmp_path, "fiber.csv", [("12 Main St", "fiber", "1000", "1000")])
    run_worker()

    assert (UpgradeOffer.objects.count(), upgrade_opportunities()) == (0, [])


def test_coverage_elsewhere_or_no_faster_than_the_plan_offers_nothing(catalog, tmp_path, run_worker):
    live_service_at(main_st(), catalog["fw100"])

    coverage(
        tmp_path,
        "other.csv",
        [("14 Main St", "fiber", "1000", "1000"), ("12 Main St", "fixed_wireless", "100", "20")],
    )
    run_worker()

    assert UpgradeOffer.objects.count() == 0


def test_one_opportunity_per_account_with_a_line_per_service_and_no_owner_without_one(catalog, tmp_path, run_worker):
    account = make_account("residential")
    home, shop = main_st(account), main_st(account, line1="40 Water St")
    services = [live_service_at(home, catalog["fw100"]), live_service_at(shop, catalog["fw100"])]
    other = live_service_at(main_st(line1="7 Key St"), catalog["fw100"])

    coverage(
        tmp_path,
        "fiber.csv",
        [(street, "fiber", "1000", "1000") for street in ("12 Main St", "40 Water St", "7 Key St")],
    )
    run_worker()

    opportunities = upgrade_opportunities()
    assert [(o.account_id, o.name, o.owner) for o in opportunities] == [
        (account.pk, "Upgrade to Fiber 1 Gig at 12 MAIN ST and 1 more site", None),
        (other.account_id, "Upgrade to Fiber 1 Gig at 7 KEY ST", None),
    ]
    lines = QuoteLine.objects.filter(quote__opportunity=opportunities[0]).order_by("position")
    assert [(line.target_service, line.mrc_amount) for line in lines] == [
        (services[0], Decimal("80.00")),
        (services[1], Decimal("80.00")),
    ]
    assert lines[0].quote.mrr_amount == Decimal("160.00")


def test_a_staff_area_over_the_location_offers_the_upgrade(catalog, run_worker):
    lat, lng = h3.cell_to_latlng(PIONEER_CELL)
    service = live_service_at(main_st(latitude=f"{lat:.6f}", longitude=f"{lng:.6f}"), catalog["fw100"])

    area = network_services.coverage_area_create(
        name="Main St build",
        technology="fiber",
        max_down_mbps="1000",
        max_up_mbps="1000",
        created_by=None,
        cells=PIONEER_CELL,
    )
    run_worker()

    offer = UpgradeOffer.objects.get()
    assert (offer.service, offer.product_version, offer.coverage_area, offer.coverage_import) == (
        service,
        catalog["gig"],
        area,
        None,
    )


def test_finding_candidates_takes_the_same_queries_for_few_or_many_services(catalog, tmp_path):
    streets = [f"{n} Main St" for n in range(1, 9)]
    # All sold before any coverage is recorded: once it is, a site it says nothing of needs a survey.
    for street in streets:
        live_service_at(main_st(line1=street), catalog["fw100"])
    few_sites = coverage(tmp_path, "two.csv", [(street, "fiber", "1000", "1000") for street in streets[:2]])
    with CaptureQueriesContext(connection) as few:
        assert len(upgrades.upgrade_candidates(coverage_import=few_sites)) == 2
    many_sites = coverage(tmp_path, "eight.csv", [(street, "fiber", "1000", "1000") for street in streets])

    with CaptureQueriesContext(connection) as many:
        assert len(upgrades.upgrade_candidates(coverage_import=many_sites)) == 8

    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_sales_list_shows_the_offer_and_filters_by_import(catalog, tmp_path, run_worker, client):
    location = main_st(make_account("residential", first_name="Grace", last_name="Hopper"))
    service = live_service_at(location, catalog["fw100"])
    other_import = coverage(tmp_path, "nothing.csv", [("99 Elm St", "fiber", "1000", "1000")])
    run_worker()
    record = coverage(tmp_path, "fiber.csv", [("12 Main St", "fiber", "1000", "1000")])
    run_worker()
    offer = UpgradeOffer.objects.get()
    client.force_login(make_user("sales"))

    page = client.get("/quotes/upgrades/")
    filtered = client.get(f"/quotes/upgrades/?import={record.pk}")
    other = client.get(f"/quotes/upgrades/?import={other_import.pk}")
    nonsense = client.get("/quotes/upgrades/?import=x&show=y&page=9")

    html = page.content.decode()
    assert page.status_code == 200
    for text in (
        "Upgrade opportunities",
        "Grace Hopper",
        "12 MAIN ST, EASTPORT, ME 04631",
        service.number,
        "Fixed Wireless 100",
        "100 Mbps / 20 Mbps",
        "Fiber 1 Gig",
        "1 Gbps",
        "+$25.00",
        offer.quote.number,
        f'href="/quotes/{offer.quote.pk}/"',
        "Upgrade to Fiber 1 Gig at 12 MAIN ST",
        "fiber.csv",
    ):
        assert text in html, text
    assert offer.quote.number in filtered.content.decode()
    assert offer.quote.number not in other.content.decode()
    assert (nonsense.status_code, offer.quote.number in nonsense.content.decode()) == (200, False)


def test_the_sales_list_is_for_sales(client):
    client.force_login(make_user("support"))

    assert client.get("/quotes/upgrades/").status_code == 403
