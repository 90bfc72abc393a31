"""A quote's site survey as a work order: made from the outbox, once; its outcome back to the quote."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from headend.core import clock, events
from headend.core.errors import Conflict
from headend.core.models import OutboxEvent
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment import surveys as fulfillment_surveys
from headend.fulfillment.models import WorkOrder
from headend.network import services as network_services
from headend.quoting import services as quoting_services
from headend.quoting.models import SiteSurvey
from tests.factories import make_account, make_construction_product, make_location, make_product, make_user

pytestmark = pytest.mark.django_db

SITE_LAT, SITE_LNG = Decimal("44.899673"), Decimal("-67.006013")
NEIGHBOUR = "882b1891d5fffff"  # 931 m from the site


@pytest.fixture
def quote():
    network_services.coverage_area_create(
        name="Harbour build", technology="fiber", max_down_mbps=1000, max_up_mbps=1000, created_by=None, cells=NEIGHBOUR
    )
    make_construction_product()
    account = make_account()
    site = make_location(account, line1="1 Water St", latitude=SITE_LAT, longitude=SITE_LNG)
    quote = quoting_services.quote_create(account=account, name="Cannery")
    quoting_services.quote_line_add(quote=quote, location=site, product_version=make_product(), term_months=12)
    return quote


def _walk_the_route(work_order: WorkOrder, tech) -> None:
    first = work_order.tasks.get(position=1)
    fulfillment_services.task_start(task=first, started_by=tech)
    fulfillment_services.task_complete(task=first, completed_by=tech)


def test_the_survey_request_makes_a_work_order_at_the_site(quote, run_worker):
    run_worker()

    work_order = WorkOrder.objects.get()
    survey = SiteSurvey.objects.get()
    assert (work_order.kind, work_order.action, work_order.service, work_order.survey) == (
        "survey",
        "survey",
        None,
        survey,
    )
    assert work_order.location == survey.location
    assert work_order.name == "Site survey: 1 WATER ST, EASTPORT, ME 04631"
    assert list(work_order.tasks.values_list("name", "status")) == [
        ("Walk the route", "ready"),
        ("Record the outcome", "pending"),
    ]
    assert (survey.status, survey.work_order_number) == ("scheduled", work_order.number)


def test_the_same_request_twice_makes_one_work_order(quote, run_worker):
    run_worker()
    event = OutboxEvent.objects.get(name="site_survey.requested")

    fulfillment_surveys.make_survey_work_order(event)
    OutboxEvent.objects.filter(pk=event.pk).update(published_at=None)
    run_worker()

    assert WorkOrder.objects.count() == 1


def test_the_outcome_task_is_not_completed_as_a_plain_task(quote, run_worker):
    run_worker()
    tech = make_user("provisioning")
    work_order = WorkOrder.objects.get()
    _walk_the_route(work_order, tech)

    with pytest.raises(Conflict) as refused:
        fulfillment_services.task_complete(task=work_order.tasks.get(position=2), completed_by=tech)

    assert refused.value.code == "survey_outcome_needed"


def test_a_feasible_survey_goes_back_to_the_quote_with_its_cost(quote, run_worker):
    run_worker()
    tech = make_user("provisioning")
    work_order = WorkOrder.objects.get()
    _walk_the_route(work_order, tech)

    fulfillment_surveys.survey_complete(
        work_order=work_order, feasible=True, construction_amount="24500.00", notes="Poles", completed_by=tech
    )
    run_worker()

    work_order.refresh_from_db()
    survey = SiteSurvey.objects.get()
    assert work_order.status == "completed"
    assert (survey.status, survey.revised_amount, survey.outcome_notes) == (
        "done_feasible",
        Decimal("24500.00"),
        "Poles",
    )
    quote.refresh_from_db()
    assert quote.one_time_amount == Decimal("24500.00")
    assert quoting_services.quote_present(quote=quote).status == "presented"


def test_a_survey_that_cannot_be_built_holds_the_quote(quote, run_worker):
    run_worker()
    tech = make_user("provisioning")
    work_order = WorkOrder.objects.get()
    _walk_the_route(work_order, tech)

    fulfillment_surveys.survey_complete(work_order=work_order, feasible=False, completed_by=tech)
    run_worker()

    assert SiteSurvey.objects.get().status == "done_not_feasible"
    with pytest.raises(Conflict):
        quoting_services.quote_present(quote=quote)


def test_the_outcome_relayed_twice_is_applied_once(quote, run_worker):
    run_worker()
    tech = make_user("provisioning")
    work_order = WorkOrder.objects.get()
    _walk_the_route(work_order, tech)
    fulfillment_surveys.survey_complete(work_order=work_order, feasible=True, completed_by=tech)
    run_worker()
    event = OutboxEvent.objects.get(name="work_order.survey_done")

    with transaction.atomic():
        fulfillment_surveys.apply_survey_outcome(event)

    assert OutboxEvent.objects.filter(name="site_survey.done").count() == 1


def test_a_service_work_order_needs_its_service():
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkOrder.objects.create(kind="service", service=None, name="Nothing", created_at=clock.now())


def test_survey_outcome_page_records_the_outcome_with_field_errors(quote, run_worker):
    run_worker()
    tech = make_user("provisioning")
    work_order = WorkOrder.objects.get()
    _walk_the_route(work_order, tech)
    client = Client()
    client.force_login(tech)
    url = reverse("fulfillment:survey_outcome", args=[work_order.pk])

    bad = client.post(url, {"outcome": "feasible", "construction_amount": "lots"})
    good = client.post(url, {"outcome": "feasible", "construction_amount": "26000"})
    events.relay()

    assert bad.status_code == 400
    assert 'data-testid="construction-amount-error"' in bad.content.decode()
    assert good.status_code == 302
    assert SiteSurvey.objects.get().revised_amount == Decimal("26000.00")


def test_survey_work_order_pages_show_the_site(quote, run_worker):
    run_worker()
    work_order = WorkOrder.objects.get()
    client = Client()
    client.force_login(make_user("provisioning"))

    detail = client.get(work_order.get_absolute_url())
    listing = client.get(reverse("fulfillment:work_order_list"))
    board = client.get(reverse("fulfillment:board"))

    assert detail.status_code == listing.status_code == board.status_code == 200
    assert "1 WATER ST, EASTPORT, ME 04631" in detail.content.decode()
    assert work_order.number in listing.content.decode()
