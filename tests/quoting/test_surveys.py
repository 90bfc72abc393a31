"""Serviceability with consequences on a quote: near our network, a construction line and a
survey; off it, refused; not on the map, a survey; Present held until surveyed or waived."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.core.models import OutboxEvent
from headend.network import services as network_services
from headend.quoting import services as quoting_services
from headend.quoting import surveys
from headend.quoting.models import QuoteLine, SiteSurvey
from tests.factories import make_account, make_construction_product, make_location, make_product, make_user

pytestmark = pytest.mark.django_db

SITE_LAT, SITE_LNG = Decimal("44.899673"), Decimal("-67.006013")  # the centre of 882b1891c3fffff
NEIGHBOUR = "882b1891d5fffff"  # 931 m away
RING_TWO = "882b189035fffff"  # 1,933 m away


def _area(cell: str) -> None:
    network_services.coverage_area_create(
        name=f"Build {cell}", technology="fiber", max_down_mbps=1000, max_up_mbps=1000, created_by=None, cells=cell
    )


@pytest.fixture
def world():
    """A business with a site 931 m from our fiber (near), the construction product, a plan."""
    _area(NEIGHBOUR)
    account = make_account()
    return {
        "account": account,
        "near": make_location(account, line1="1 Water St", latitude=SITE_LAT, longitude=SITE_LNG),
        "construction": make_construction_product(),
        "plan": make_product(),
        "quote": quoting_services.quote_create(account=account, name="Cannery"),
    }


def _add(world, location, version=None, term=12):
    return quoting_services.quote_line_add(
        quote=world["quote"], location=location, product_version=version or world["plan"], term_months=term
    )


def test_line_at_a_near_site_adds_one_construction_line_and_asks_for_a_survey(world):
    _add(world, world["near"])
    _add(world, world["near"], make_product())

    quote = world["quote"]
    quote.refresh_from_db()
    construction = quote.lines.get(product_version=world["construction"])
    assert (construction.position, construction.nrc_amount, construction.mrc_amount) == (2, Decimal("27930.00"), 0)
    assert construction.note == "Construction: about 930 m from our network"
    assert quote.one_time_amount == Decimal("27930.00")
    survey = SiteSurvey.objects.get()
    assert (survey.location, survey.reach, survey.distance_m, survey.status) == (
        world["near"],
        "near_net",
        931,
        "requested",
    )
    assert survey.estimate_amount == Decimal("27930.00")
    assert OutboxEvent.objects.filter(name="site_survey.requested").count() == 1


def test_line_off_our_network_is_refused_with_the_reason_and_nothing_written(world):
    far = make_location(world["account"], line1="9 Far Rd", latitude=Decimal("45.100000"), longitude=SITE_LNG)

    with pytest.raises(ValidationError) as refused:
        _add(world, far)

    assert refused.value.field == "product_version"
    assert refused.value.message.startswith("Off our network: nothing of ours within 1 km of this site")
    assert not QuoteLine.objects.exists()
    assert not SiteSurvey.objects.exists()
    assert not OutboxEvent.objects.filter(name__startswith="site_survey").exists()


def test_line_at_an_unplaced_site_is_allowed_with_a_survey_and_no_construction(world):
    line = _add(world, make_location(world["account"], line1="5 Key St"))

    assert list(world["quote"].lines.values_list("pk", flat=True)) == [line.pk]
    assert SiteSurvey.objects.get().reach == "unknown"


def test_line_on_our_network_needs_no_survey(world):
    _area("882b1891c3fffff")

    _add(world, world["near"])

    assert world["quote"].lines.count() == 1
    assert not SiteSurvey.objects.exists()


def test_near_site_without_a_construction_product_is_refused_and_nothing_written():
    _area(NEIGHBOUR)
    account = make_account()
    site = make_location(account, latitude=SITE_LAT, longitude=SITE_LNG)
    quote = quoting_services.quote_create(account=account)

    with pytest.raises(Conflict) as refused:
        quoting_services.quote_line_add(quote=quote, location=site, product_version=make_product(), term_months=12)

    assert refused.value.code == "no_construction_product"
    assert not QuoteLine.objects.exists()
    assert not SiteSurvey.objects.exists()


def test_present_is_refused_until_the_survey_is_done(world):
    _add(world, world["near"])

    with pytest.raises(Conflict) as held:
        quoting_services.quote_present(quote=world["quote"])
    surveys.survey_record_outcome(survey=SiteSurvey.objects.get(), feasible=True, notes="Poles all the way")
    presented = quoting_services.quote_present(quote=world["quote"])

    assert held.value.code == "survey_needed"
    assert "1 WATER ST" in held.value.message
    assert "its site survey is not done yet" in held.value.message
    assert presented.status == "presented"


def test_submit_for_approval_is_refused_while_a_survey_is_open(world):
    _add(world, world["near"])

    with pytest.raises(Conflict) as held:
        quoting_services.quote_submit_for_approval(quote=world["quote"], submitted_by=make_user("sales"))

    assert held.value.code == "survey_needed"


def test_a_site_found_not_buildable_holds_present(world):
    _add(world, world["near"])

    surveys.survey_record_outcome(survey=SiteSurvey.objects.get(), feasible=False)

    with pytest.raises(Conflict) as held:
        quoting_services.quote_present(quote=world["quote"])
    assert "the survey found it cannot be built" in held.value.message


def test_a_revised_cost_reprices_the_construction_line(world):
    _add(world, world["near"])

    surveys.survey_record_outcome(survey=SiteSurvey.objects.get(), feasible=True, construction_amount="31000.00")

    quote = world["quote"]
    quote.refresh_from_db()
    line = quote.lines.get(product_version=world["construction"])
    assert (line.nrc_amount, line.note) == (
        Decimal("31000.00"),
        "Construction: as surveyed, about 930 m from our network",
    )
    assert quote.one_time_amount == Decimal("31000.00")


def test_the_same_outcome_twice_changes_nothing_and_another_is_a_conflict(world):
    _add(world, world["near"])
    survey = SiteSurvey.objects.get()
    surveys.survey_record_outcome(survey=survey, feasible=True)

    surveys.survey_record_outcome(survey=survey, feasible=True)
    with pytest.raises(Conflict):
        surveys.survey_record_outcome(survey=survey, feasible=False)

    assert OutboxEvent.objects.filter(name="site_survey.done").count() == 1
    assert SiteSurvey.objects.get().status == "done_feasible"


def test_a_sales_manager_waives_with_a_reason_and_present_goes_on(world):
    _add(world, world["near"])
    manager = make_user("sales_manager")

    survey = surveys.survey_waive(survey=SiteSurvey.objects.get(), reason="Surveyed last year", waived_by=manager)
    presented = quoting_services.quote_present(quote=world["quote"])

    assert (survey.status, survey.waived_by, survey.waiver_reason) == ("waived", manager, "Surveyed last year")
    assert presented.status == "presented"


@pytest.mark.parametrize("role", ["sales", "provisioning", "support"])
def test_only_managers_waive(world, role):
    _add(world, world["near"])

    with pytest.raises(Forbidden):
        surveys.survey_waive(survey=SiteSurvey.objects.get(), reason="Trust me", waived_by=make_user(role))

    assert SiteSurvey.objects.get().status == "requested"


def test_waiver_without_a_reason_is_a_field_error_and_writes_nothing(world):
    _add(world, world["near"])

    with pytest.raises(ValidationError) as refused:
        surveys.survey_waive(survey=SiteSurvey.objects.get(), reason="   ", waived_by=make_user("director"))

    assert refused.value.field == "reason"
    assert SiteSurvey.objects.get().status == "requested"
    assert not OutboxEvent.objects.filter(name="site_survey.waived").exists()


def test_a_waiver_needs_its_reason_in_the_database(world):
    _add(world, world["near"])

    with pytest.raises(IntegrityError), transaction.atomic():
        SiteSurvey.objects.update(status="waived", waiver_reason="")


def test_removing_the_sites_last_line_removes_its_construction_line(world):
    line = _add(world, world["near"])

    quoting_services.quote_line_remove(line=line)

    assert not world["quote"].lines.exists()


def test_a_revision_keeps_the_survey_and_its_construction_line(world):
    _add(world, world["near"])
    surveys.survey_record_outcome(survey=SiteSurvey.objects.get(), feasible=True)
    presented = quoting_services.quote_present(quote=world["quote"])

    revision = quoting_services.quote_revise(quote=presented)
    quoting_services.quote_present(quote=revision)

    assert revision.lines.filter(product_version=world["construction"]).count() == 1
    assert SiteSurvey.objects.count() == 1


def test_waive_page_says_the_reason_is_needed(world):
    _add(world, world["near"])
    survey = SiteSurvey.objects.get()
    client = Client()
    client.force_login(make_user("sales_manager"))
    url = reverse("quoting:survey_waive", args=[world["quote"].pk, survey.pk])

    empty = client.post(url, {"reason": ""})
    waived = client.post(url, {"reason": "Customer pays for any extra"})

    assert empty.status_code == 400
    assert "Say why the survey is waived." in empty.content.decode()
    assert waived.status_code == 302
    assert SiteSurvey.objects.get().waiver_reason == "Customer pays for any extra"


def test_quote_page_lists_the_survey(world):
    _add(world, world["near"])
    client = Client()
    client.force_login(make_user("sales_manager"))

    page = client.get(reverse("quoting:quote_detail", args=[world["quote"].pk])).content.decode()

    assert 'data-testid="site-surveys"' in page
    assert "About 931 m from our network" in page
    assert "Construction: about 930 m from our network" in page
    assert reverse("quoting:survey_waive", args=[world["quote"].pk, SiteSurvey.objects.get().pk]) in page


def test_a_quote_held_by_its_survey_says_why_instead_of_ready_to_present(world):
    _add(world, world["near"])
    client = Client()
    manager = make_user("sales_manager")
    client.force_login(manager)
    quote_url = reverse("quoting:quote_detail", args=[world["quote"].pk])

    page = client.get(quote_url).content.decode()
    present = client.get(reverse("contracts:quote_present", args=[world["quote"].pk])).content.decode()

    assert 'data-testid="site-reach-badge">near our network</span>' in page
    assert 'data-testid="present-held"' in page
    assert "A site survey holds this quote back." in page
    assert "Ready to present" not in page
    assert 'data-testid="preview-and-present"' not in page
    assert 'data-testid="present-held"' in present
    assert 'data-testid="send-quote" disabled' in present

    surveys.survey_waive(survey=SiteSurvey.objects.get(), reason="Customer pays any extra", waived_by=manager)
    page = client.get(quote_url).content.decode()

    assert 'data-testid="preview-and-present"' in page
    assert 'data-testid="present-held"' not in page


def _passing(line1: str, lat: Decimal, lng: Decimal) -> None:
    from headend.core import clock
    from headend.crm.addresses import normalize_address
    from headend.crm.models import AddressPoint

    address = normalize_address(line1=line1, city="Eastport", state="ME", postal_code="04631")
    AddressPoint.objects.create(
        address_key=address.key,
        line1=address.line1,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        latitude=lat,
        longitude=lng,
        imported_at=clock.now(),
    )


def test_a_file_of_addresses_quotes_on_and_near_sites_and_refuses_the_off_net_one(world):
    _area("882b1891c3fffff")  # the near site's own cell is now covered: it is on-net
    on_net_lat, on_net_lng = SITE_LAT, SITE_LNG
    _passing("10 Water St", on_net_lat, on_net_lng)
    _passing("20 Water St", Decimal("44.907994"), Decimal("-67.007382"))  # 932 m from the covered cell
    _passing("30 Water St", Decimal("45.100000"), SITE_LNG)  # 22 km north
    code = world["plan"].product.code
    data = (
        "address,product,term\n"
        f'"10 Water St, Eastport, ME 04631",{code},12\n'
        f'"20 Water St, Eastport, ME 04631",{code},12\n'
        f'"30 Water St, Eastport, ME 04631",{code},12\n'
    ).encode()

    checked = quoting_services.quote_sites_import(quote=world["quote"], data=data)
    assert [row.errors.get("address", "")[:40] for row in checked] == [
        "",
        "",
        "Off our network: nothing of ours within ",
    ]
    assert not world["quote"].lines.exists()
    quoting_services.quote_sites_import(quote=world["quote"], data=data, import_valid_rows=True)

    lines = list(
        world["quote"].lines.order_by("position").values_list("location__line1", "product_version__product__kind")
    )
    assert lines == [("10 WATER ST", "internet"), ("20 WATER ST", "internet"), ("20 WATER ST", "construction")]
    survey = SiteSurvey.objects.get()
    assert (survey.location.line1, survey.reach) == ("20 WATER ST", "near_net")
    with pytest.raises(Conflict):
        quoting_services.quote_present(quote=world["quote"])
