"""The builder's bulk steps on the quote page: one product to many sites, prices in the picker,
opportunities of the chosen account only, and the sites CSV kept for "import the valid rows"."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.core.errors import Conflict, ValidationError
from headend.crm import services as crm_services
from headend.quoting import services, site_import
from headend.quoting.models import Quote, QuoteLine, SiteImportJob
from tests.factories import make_account, make_location, make_product, make_quote, make_user
from tests.quoting.test_site_import import csv, many_rows

pytestmark = pytest.mark.django_db
CLOSE = dt.date(2026, 4, 1)


@pytest.fixture
def seller(client):
    client.force_login(make_user("sales"))
    return client


@pytest.fixture
def fiber():
    return make_product(code="fiber-300", prices={12: ("65.00", "0.00"), 24: ("60.00", "99.00")})


def add_to_sites(client, quote, **data):
    fields = {f"sites-{name}": value for name, value in data.items()}  # the form's prefix
    return client.post(reverse("quoting:quote_sites_add", args=[quote.pk]), fields, HTTP_HX_REQUEST="true")


# One product to many sites.


def test_one_product_goes_to_every_ticked_site_priced_once_each(seller, fiber):
    account = make_account()
    sites = [make_location(account) for _ in range(3)]
    quote = make_quote(account=account, lines=0)

    response = add_to_sites(
        seller, quote, product_version=fiber.pk, term_months=12, quantity=1, locations=[s.pk for s in sites[:2]]
    )

    assert response.status_code == 200
    lines = list(quote.lines.order_by("position"))
    assert [(line.location_id, line.mrc_amount, line.position) for line in lines] == [
        (sites[0].pk, Decimal("65.00"), 1),
        (sites[1].pk, Decimal("65.00"), 2),
    ]
    quote.refresh_from_db()
    assert (quote.mrr_amount, quote.contract_value_amount) == (Decimal("130.00"), Decimal("1560.00"))


def test_every_site_of_the_account_at_once(seller, fiber):
    account = make_account()
    sites = [make_location(account) for _ in range(3)]
    quote = make_quote(account=account, lines=0)

    add_to_sites(seller, quote, product_version=fiber.pk, term_months=24, quantity=1, all_sites="on")

    assert sorted(quote.lines.values_list("location_id", flat=True)) == sorted(s.pk for s in sites)
    assert set(quote.lines.values_list("nrc_amount", flat=True)) == {Decimal("99.00")}


@pytest.mark.parametrize(
    ("case", "field_error"),
    [
        ("no_sites", "Tick at least one site"),
        ("foreign_site", "A site ticked is not one of this account&#x27;s sites."),
        ("not_sellable", "Choose a product on sale to this customer."),
        ("residential_only", "Choose a product on sale to this customer."),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(seller, fiber, case, field_error):
    account = make_account("business")
    site = make_location(account)
    quote = make_quote(account=account, lines=0)
    data = {"product_version": fiber.pk, "term_months": 12, "quantity": 1, "locations": [site.pk]}
    if case == "no_sites":
        data.pop("locations")
    elif case == "foreign_site":
        data["locations"] = [site.pk, make_location(make_account()).pk]
    elif case == "not_sellable":
        data["product_version"] = make_product(publish=False).pk
    else:
        data["product_version"] = make_product(customer_type="residential").pk

    response = add_to_sites(seller, quote, **data)

    assert response.status_code == 200  # HTMX swaps the form back with its error
    assert field_error in response.content.decode()
    assert QuoteLine.objects.count() == 0
    assert Quote.objects.get(pk=quote.pk).price_revision == quote.price_revision


def test_a_plain_post_with_a_bad_field_is_a_400(seller, fiber):
    quote = make_quote(account=make_account(), lines=0)

    response = seller.post(
        reverse("quoting:quote_sites_add", args=[quote.pk]),
        {"sites-product_version": fiber.pk, "sites-term_months": 12, "sites-quantity": 1},
    )

    assert response.status_code == 400
    assert QuoteLine.objects.count() == 0


def test_the_use_case_refuses_a_site_of_another_account_and_none_at_all(fiber):
    quote = make_quote(account=make_account(), lines=0)
    foreign = make_location(make_account())

    with pytest.raises(ValidationError) as foreign_error:
        services.quote_lines_add_to_sites(quote=quote, product_version=fiber, locations=[foreign], term_months=12)
    with pytest.raises(ValidationError) as none_error:
        services.quote_lines_add_to_sites(quote=quote, product_version=fiber, locations=[], term_months=12)

    assert (foreign_error.value.field, foreign_error.value.code) == ("locations", "foreign_location")
    assert (none_error.value.field, none_error.value.code) == ("locations", "required")
    assert QuoteLine.objects.count() == 0


def test_a_site_that_cannot_take_the_product_refuses_all_and_is_named(fiber, monkeypatch):
    from headend.quoting import lines as quote_lines

    account = make_account()
    good, bad = make_location(account, name="Plant"), make_location(account, name="Dock")
    quote = make_quote(account=account, lines=0)
    sites_check = quote_lines.sellable_at_many

    def check(*, pairs, **kwargs):  # the lines' rule, with a verdict of "no" at the dock
        verdicts = sites_check(pairs=pairs, **kwargs)
        no = ValidationError("Only DSL here.", field="product_version", code="not_serviceable")
        return [no if location.pk == bad.pk else v for (location, _), v in zip(pairs, verdicts, strict=True)]

    monkeypatch.setattr(quote_lines, "sellable_at_many", check)

    with pytest.raises(ValidationError) as error:
        services.quote_lines_add_to_sites(quote=quote, product_version=fiber, locations=[good, bad], term_months=12)

    assert error.value.field == "locations"
    assert "1 of 2 sites cannot take" in error.value.message
    assert "Dock" in error.value.message
    assert "Only DSL here." in error.value.message
    assert QuoteLine.objects.count() == 0


# The picker and sales-facing names.


def test_the_picker_shows_prices_per_term_and_no_version_number(seller, fiber):
    quote = make_quote(account=make_account(), lines=0)

    html = seller.get(reverse("quoting:quote_detail", args=[quote.pk])).content.decode()

    label = f"{fiber.product.name} · 1 Gbps — $65.00/mo (12 mo), $0.00 install; $60.00/mo (24 mo), $99.00 install"
    assert label in html
    assert "(v1)" not in html


def test_a_sales_name_that_says_its_speed_does_not_say_it_twice(fiber):
    assert fiber.sales_name == f"{fiber.product.name} · 1 Gbps"
    fiber.product.name = "Dedicated Internet 1 Gbps"

    assert fiber.sales_name == "Dedicated Internet 1 Gbps"


# Opportunities of the chosen account only.


def test_new_quote_offers_only_the_accounts_open_opportunities(seller):
    account, other = make_account(), make_account()
    mine = crm_services.opportunity_create(account=account, name="Cannery fiber", close_date=CLOSE)
    crm_services.opportunity_create(account=other, name="Smokehouse voice", close_date=CLOSE)

    html = seller.get(reverse("quoting:quote_create"), {"account": account.pk}).content.decode()

    assert "Cannery fiber" in html
    assert "Smokehouse voice" not in html
    assert f'value="{mine.pk}"' in html


def test_another_accounts_opportunity_is_a_field_error_and_no_quote(seller):
    account, other = make_account(), make_account()
    theirs = crm_services.opportunity_create(account=other, name="Smokehouse voice", close_date=CLOSE)

    response = seller.post(reverse("quoting:quote_create"), {"account": account.pk, "opportunity": theirs.pk})

    assert response.status_code == 200
    assert "Choose one of this account&#x27;s open opportunities." in response.content.decode()
    assert Quote.objects.count() == 0


# The sites CSV: kept, "import the valid rows", and its template.


@pytest.fixture
def csv_quote():
    make_product(code="dia-1g", customer_type="business")
    return make_quote(account=make_account("business"), lines=0)


GOOD = 'Plant,"84 Water St, Eastport, ME 04631",,,,,dia-1g,12,1'
ALSO_GOOD = 'Office,"12 Sea St, Eastport, ME 04631",,,,,dia-1g,12,1'
BAD = 'Bad,"Water Street",,,,,nope,12,1'


def upload(client, quote, data):
    return client.post(
        reverse("quoting:quote_sites_import", args=[quote.pk]),
        {"file": SimpleUploadedFile("sites.csv", data, content_type="text/csv")},
    )


def test_a_file_with_bad_rows_is_kept_and_its_valid_rows_import_without_a_new_upload(seller, csv_quote):
    response = upload(seller, csv_quote, csv(GOOD, BAD, ALSO_GOOD))

    html = response.content.decode()
    job = SiteImportJob.objects.get(quote=csv_quote)
    assert (job.status, job.rows_total, job.invalid_rows, job.file_name) == ("checked", 3, 1, "sites.csv")
    assert "Import the 2 valid rows" in html
    assert QuoteLine.objects.count() == 0
    assert job.file.name.startswith("site-imports/")
    assert "sites" not in job.file.name.rsplit("/", 1)[-1]

    response = seller.post(reverse("quoting:site_import_valid", args=[csv_quote.pk, job.pk]))

    assert response.status_code == 302
    assert response["Location"] == csv_quote.get_absolute_url()
    assert csv_quote.lines.count() == 2
    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("completed", 2)

    again = seller.post(reverse("quoting:site_import_valid", args=[csv_quote.pk, job.pk]), follow=True)

    assert csv_quote.lines.count() == 2  # nothing imported twice
    assert "nothing was imported again" in again.content.decode()


def test_a_second_import_of_the_valid_rows_is_a_conflict_that_writes_nothing(csv_quote):
    rows = services.quote_sites_import(quote=csv_quote, data=csv(GOOD, BAD))
    job = services.site_import_keep(quote=csv_quote, upload=SimpleUploadedFile("sites.csv", csv(GOOD, BAD)), rows=rows)
    services.site_import_valid_rows(job=job)

    with pytest.raises(Conflict) as error:
        services.site_import_valid_rows(job=job)

    assert error.value.code == "already_imported"
    assert csv_quote.lines.count() == 1


def test_a_large_kept_file_is_imported_by_the_worker(csv_quote, django_capture_on_commit_callbacks):
    job = services.site_import_job_create(
        quote=csv_quote, upload=SimpleUploadedFile("big.csv", many_rows(600, bad_every=100))
    )
    job = services.site_import_job_run(job_id=job.pk)
    assert (job.status, job.invalid_rows) == ("checked", 6)

    with django_capture_on_commit_callbacks(execute=True):
        job = services.site_import_valid_rows(job=job)

    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("completed", 594)
    assert csv_quote.lines.count() == 594


def test_a_csv_adds_one_product_to_many_sites(csv_quote):
    rows = [f'Site {n},"{n} Harbor Rd, Machias, ME 04654",,,,,dia-1g,12,1' for n in range(1, 6)]

    services.quote_sites_import(quote=csv_quote, data=csv(*rows))

    lines = csv_quote.lines.all()
    assert lines.count() == 5
    assert len({line.location_id for line in lines}) == 5
    assert len({line.product_version_id for line in lines}) == 1


def test_the_template_downloads_with_the_header_and_an_example_that_imports(seller, csv_quote):
    response = seller.get(reverse("quoting:quote_sites_template", args=[csv_quote.pk]))

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="sites-template.csv"')
    header, example = body.decode().splitlines()
    assert header == ",".join(site_import.COLUMNS)
    assert ",dia-1g,12,1" in example
    rows = services.quote_sites_import(quote=csv_quote, data=body)
    assert [row.errors for row in rows] == [{}]
    assert csv_quote.lines.count() == 1
