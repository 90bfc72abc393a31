"""Statement budgets: adding 10 lines to a quote costs the same number of SQL statements as adding
100, through the batch use case (`quote_lines_add`), a CSV of sites (sites, contacts and lines) and
the worker's job, so a return to statements per line fails here.

The budgets hold the statements of 10 lines (on SQLite: 37 adding lines, 44 with their add-ons,
63 importing a CSV, 75 in the worker's job, 52 with near sites' surveys and construction lines)
plus the inserts SQLite splits at 999 parameters (a line has 30 columns: an insert of lines, and
one of their history, per 32 lines; at 100 lines, about 10 more); one statement more per line
would be 100 more at 100 lines."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from headend.catalog import services as catalog_services
from headend.catalog.services import TaskSpec
from headend.core.models import OutboxEvent
from headend.crm import services as crm_services
from headend.crm.models import Contact, Location
from headend.network import services as network_services
from headend.quoting import services
from headend.quoting.models import Quote, QuoteLine, SiteSurvey
from tests.factories import define_change_templates, make_account, make_construction_product, make_product

pytestmark = pytest.mark.django_db

LINES_BUDGET = 45
ADDONS_BUDGET = 55
IMPORT_BUDGET = 75
JOB_BUDGET = 90
SURVEY_BUDGET = 70

HEADER = "site_name,address,unit,contact_name,contact_email,contact_phone,product,term,quantity\n"


def _sites(account, count, **place):
    return crm_services.locations_create(
        account=account,
        sites=[
            crm_services.NewLocation(line1=f"{n} Water St", city="Eastport", state="ME", postal_code="04631", **place)
            for n in range(1, count + 1)
        ],
    )


def _csv(count: int) -> bytes:
    rows = [
        f'Site {n},"{n} Harbor Rd, Machias, ME 04654",,Jo Site{n},site{n}@example.com,,dia-1g,12,1'
        for n in range(1, count + 1)
    ]
    return (HEADER + "\n".join(rows) + "\n").encode()


@pytest.fixture
def plan():
    return make_product(code="dia-1g", customer_type="business")


@pytest.mark.parametrize("count", [10, 100])
def test_quote_lines_add_statements_do_not_grow_with_lines(count, plan, django_assert_max_num_queries):
    account = make_account()
    sites = _sites(account, count)
    quote = services.quote_create(account=account, name="Fleet")

    with django_assert_max_num_queries(LINES_BUDGET):
        lines = services.quote_lines_add(
            quote=quote, lines=[services.NewLine(location=site, product_version=plan, term_months=12) for site in sites]
        )

    assert [line.position for line in lines] == list(range(1, count + 1))
    assert QuoteLine.history.filter(quote_id=quote.pk, history_type="+").count() == count
    quote.refresh_from_db()
    assert quote.mrr_amount == Decimal("65.00") * count
    events = OutboxEvent.objects.filter(
        subject_type="quoting.quote", subject_id=str(quote.pk), name="quote.lines_added"
    )
    assert [event.data["line_ids"] for event in events] == [[line.pk for line in lines]]


@pytest.mark.parametrize("count", [10, 100])
def test_bases_and_their_add_ons_in_one_call_do_not_grow_with_lines(count, plan, django_assert_max_num_queries):
    addon = catalog_services.product_create(
        code="static-block", name="Static block", kind="addon", customer_type="any", addon_of=[plan.product]
    )
    version = catalog_services.version_create(
        product=addon, effective_from=dt.date(2020, 1, 1), prices={12: ("20.00", "0.00")}
    )
    catalog_services.template_define(product=addon, action="add", name="Route it", tasks=[TaskSpec("Route")])
    define_change_templates(addon)
    version = catalog_services.version_publish(version=version)
    account = make_account()
    sites = _sites(account, count)
    quote = services.quote_create(account=account, name="Fleet")
    asked = [services.NewLine(location=site, product_version=plan, term_months=12) for site in sites]
    asked += [services.NewLine(location=site, product_version=version, term_months=12) for site in sites]

    with django_assert_max_num_queries(ADDONS_BUDGET):
        lines = services.quote_lines_add(quote=quote, lines=asked)

    bases, addons = lines[:count], lines[count:]
    assert [line.base_line_id for line in addons] == [line.pk for line in bases]
    assert QuoteLine.objects.filter(quote=quote, base_line__isnull=False).count() == count


@pytest.mark.parametrize("count", [10, 100])
def test_a_csv_of_sites_costs_the_same_statements_for_10_and_100_rows(count, plan, django_assert_max_num_queries):
    quote = services.quote_create(account=make_account(), name="Chain")
    data = _csv(count)

    with django_assert_max_num_queries(IMPORT_BUDGET):
        rows = services.quote_sites_import(quote=quote, data=data)

    assert all(row.valid for row in rows)
    assert Location.objects.filter(account=quote.account).count() == count
    assert Location.history.filter(account_id=quote.account_id).count() == count
    assert Contact.objects.filter(account=quote.account, role="site").count() == count
    assert QuoteLine.objects.filter(quote=quote).count() == count
    assert OutboxEvent.objects.filter(name="location.created").count() == count
    [imported] = OutboxEvent.objects.filter(name="quote.sites_imported")
    assert sorted(imported.data["line_ids"]) == sorted(
        QuoteLine.objects.filter(quote=quote).values_list("pk", flat=True)
    )


@pytest.mark.parametrize("count", [10, 100])
def test_the_background_job_costs_the_same_statements_for_10_and_100_rows(count, plan, django_assert_max_num_queries):
    quote = services.quote_create(account=make_account(), name="Chain")
    job = services.site_import_job_create(quote=quote, upload=SimpleUploadedFile("sites.csv", _csv(count)))

    with django_assert_max_num_queries(JOB_BUDGET):
        job = services.site_import_job_run(job_id=job.pk)

    assert (job.status, job.rows_done) == ("completed", count)
    assert Quote.objects.get(pk=quote.pk).lines.count() == count


@pytest.mark.parametrize("count", [10, 100])
def test_near_sites_ask_their_surveys_and_construction_lines_set_wise(count, django_assert_max_num_queries):
    network_services.coverage_area_create(
        name="Build", technology="fiber", max_down_mbps=1000, max_up_mbps=1000, created_by=None, cells="882b1891d5fffff"
    )
    make_construction_product()
    plan = make_product()
    account = make_account()
    # Around the centre of 882b1891c3fffff, about 930 m from our fiber: near our network.
    sites = crm_services.locations_create(
        account=account,
        sites=[
            crm_services.NewLocation(
                line1=f"{n} Water St",
                city="Eastport",
                state="ME",
                postal_code="04631",
                latitude=Decimal("44.899673") + Decimal(n) / 1_000_000,
                longitude=Decimal("-67.006013"),
            )
            for n in range(1, count + 1)
        ],
    )
    quote = services.quote_create(account=account, name="Cannery row")

    with django_assert_max_num_queries(SURVEY_BUDGET):
        services.quote_lines_add(
            quote=quote, lines=[services.NewLine(location=site, product_version=plan, term_months=12) for site in sites]
        )

    assert SiteSurvey.objects.filter(quote=quote, reach="near_net").count() == count
    assert OutboxEvent.objects.filter(name="site_survey.requested").count() == count
    assert QuoteLine.objects.filter(quote=quote, product_version__product__kind="construction").count() == count
