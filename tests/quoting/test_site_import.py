import pytest

from headend.core.errors import ValidationError
from headend.crm.models import Contact, Location
from headend.quoting import services, site_imports
from headend.quoting.models import QuoteLine
from tests.factories import make_account, make_location, make_product, make_quote

pytestmark = pytest.mark.django_db

HEADER = "site_name,address,unit,contact_name,contact_email,contact_phone,product,term,quantity\n"


@pytest.fixture
def quote():
    make_product(code="dia-1g", customer_type="business")
    make_product(code="fiber-home", customer_type="residential")
    return make_quote(account=make_account("business"), lines=0)


def csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_every_valid_row_becomes_a_site_and_a_line(quote):
    data = csv(
        'Plant,"84 Water St, Eastport, ME 04631",,Jo Plant,jo@example.com,,dia-1g,12,1',
        'Office,"12 Sea St, Eastport, ME 04631",Suite 2,,,,dia-1g,24,2',
    )

    rows = services.quote_sites_import(quote=quote, data=data)

    assert [row.errors for row in rows] == [{}, {}]
    assert list(Location.objects.filter(account=quote.account).values_list("name", "line1", "line2")) == [
        ("Office", "12 SEA ST", "STE 2"),
        ("Plant", "84 WATER ST", ""),
    ]
    assert list(QuoteLine.objects.filter(quote=quote).values_list("term_months", "quantity")) == [(12, 1), (24, 2)]
    assert Contact.objects.get(account=quote.account).role == "site"
    quote.refresh_from_db()
    assert quote.mrr_amount == quote.lines.first().mrc_amount + quote.lines.last().mrc_amount


def test_one_bad_row_imports_nothing_and_reports_it_with_its_line_and_column(quote):
    data = csv(
        'Plant,"84 Water St, Eastport, ME 04631",,,,,dia-1g,12,1',
        'Bad,"Water Street",,,,,nope,18,0',
        'Home,"5 Elm St, Lubec, ME 04652",,,,,fiber-home,12,1',
    )

    rows = services.quote_sites_import(quote=quote, data=data)

    assert [row.line for row in rows if not row.valid] == [3, 4]
    assert set(rows[1].errors) == {"address", "product", "term", "quantity"}
    assert list(rows[2].errors) == ["product"]
    assert rows[2].errors["product"].endswith("is sold to residential customers only.")
    assert QuoteLine.objects.count() == 0
    assert Location.objects.filter(account=quote.account).count() == 0


def test_importing_only_the_valid_rows_when_asked(quote):
    data = csv('Plant,"84 Water St, Eastport, ME 04631",,,,,dia-1g,12,1', "Bad,nowhere,,,,,dia-1g,12,1")

    services.quote_sites_import(quote=quote, data=data, import_valid_rows=True)

    assert QuoteLine.objects.filter(quote=quote).count() == 1


def test_a_duplicate_site_and_product_is_an_error(quote):
    data = csv(
        'A,"84 Water St, Eastport, ME 04631",,,,,dia-1g,12,1', 'B,"84 water street, eastport, me 04631",,,,,dia-1g,24,1'
    )

    rows = services.quote_sites_import(quote=quote, data=data)

    assert rows[1].errors == {"address": "The same site and product appear twice in the file."}


def test_an_existing_location_is_reused(quote):
    existing = make_location(quote.account, line1="84 Water St", city="Eastport", state="ME", postal_code="04631")

    services.quote_sites_import(quote=quote, data=csv('Plant,"84 Water St, Eastport, ME 04631",,,,,dia-1g,12,1'))

    assert QuoteLine.objects.get(quote=quote).location == existing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"address,product\n1 Main St,x\n", "lacks the column(s): term"),
        (HEADER.encode() + 'Plant,"84 Water St, Eastport, ME 04631",,,,,dia-1g,12,1\n'.encode("utf-16"), "not UTF-8"),
        ((HEADER.strip() + ",colour\n").encode(), "Unknown column(s): colour"),
    ],
)
def test_a_bad_file_is_refused_whole(quote, data, message):
    with pytest.raises(ValidationError) as error:
        services.quote_sites_import(quote=quote, data=data)

    assert message in error.value.message
    assert error.value.field == "file"


def test_the_upload_page_shows_the_per_row_report(client, quote):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.factories import make_user

    client.force_login(make_user("sales"))
    upload = SimpleUploadedFile("sites.csv", csv("Bad,nowhere,,,,,dia-1g,12,1"), content_type="text/csv")

    response = client.post(reverse("quoting:quote_sites_import", args=[quote.pk]), {"file": upload})

    html = response.content.decode()
    assert "1 row to fix" in html
    assert "<strong>address</strong>" in html
    assert QuoteLine.objects.count() == 0


def many_rows(count: int, *, bad_every: int = 0) -> bytes:
    def product(n: int) -> str:
        return "nope" if bad_every and n % bad_every == 0 else "dia-1g"

    rows = [f'Site {n},"{n} Harbor Rd, Machias, ME 04654",,,,,{product(n)},12,1' for n in range(1, count + 1)]
    return csv(*rows)


def test_a_large_file_is_checked_and_priced_in_the_background_in_chunks(quote):
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = services.site_import_job_create(quote=quote, upload=SimpleUploadedFile("big.csv", many_rows(120)))

    job = services.site_import_job_run(job_id=job.pk, chunk=50)

    assert (job.status, job.rows_total, job.rows_checked, job.rows_done, job.percent) == (
        "completed",
        120,
        120,
        120,
        100,
    )
    quote.refresh_from_db()
    assert quote.lines.count() == 120
    assert quote.mrr_amount == sum(line.mrc_amount for line in quote.lines.all())
    assert services.site_import_job_run(job_id=job.pk).rows_done == 120  # a second run changes nothing


def test_a_large_file_with_bad_rows_is_kept_checked_with_its_report(quote):
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = services.site_import_job_create(
        quote=quote, upload=SimpleUploadedFile("big.csv", many_rows(60, bad_every=20))
    )

    job = services.site_import_job_run(job_id=job.pk)

    assert (job.status, job.invalid_rows, [row["line"] for row in job.report]) == ("checked", 3, [21, 41, 61])
    assert quote.lines.count() == 0


def test_the_upload_page_sends_a_large_file_to_the_worker_and_shows_progress(
    client, quote, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.factories import make_user

    client.force_login(make_user("sales"))
    upload = SimpleUploadedFile("big.csv", many_rows(600), content_type="text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("quoting:quote_sites_import", args=[quote.pk]), {"file": upload})
    page = client.get(response.url)

    assert "/sites/" in response.url
    assert page.context["job"].status == "completed"
    assert quote.lines.count() == 600


# Cells no column may hold: past the csv module's limit, too long for us, a NUL character.

CSV_LIMIT = 131_072  # characters the csv module reads in one cell
PLANT = 'Plant,"84 Water St, Eastport, ME 04631",,Jo Plant,jo@example.com,,dia-1g,12,1'


def test_a_cell_past_the_csv_limit_fails_its_row_by_column_and_the_rest_is_checked(quote):
    data = csv(PLANT, f'Office,"12 Sea St, Eastport, ME 04631",{"x" * (CSV_LIMIT + 1)},,,,dia-1g,12,1', PLANT)

    rows = services.quote_sites_import(quote=quote, data=data)

    assert [(row.line, list(row.errors)) for row in rows] == [(2, []), (3, ["unit"]), (4, ["address"])]
    assert rows[1].errors["unit"] == "This row cannot be read as CSV (field larger than field limit (131072))."
    assert QuoteLine.objects.count() == 0


@pytest.mark.parametrize(("column", "width"), [("site_name", 120), ("contact_name", 100), ("contact_email", 254)])
def test_a_cell_as_wide_as_its_column_is_imported(quote, column, width):
    values = {"site_name": "Plant", "unit": "", "contact_name": "Jo Plant", "contact_email": "jo@example.com"}
    values[column] = {
        "contact_name": "J " + "o" * (width - 2),
        "contact_email": "j" * (width - 12) + "@example.com",
    }.get(column, "s" * width)
    row = '{site_name},"84 Water St, Eastport, ME 04631",{unit},{contact_name},{contact_email},,dia-1g,12,1'

    rows = services.quote_sites_import(quote=quote, data=csv(row.format(**values)))

    assert rows[0].errors == {}
    assert QuoteLine.objects.count() == 1


@pytest.mark.parametrize(("column", "width"), [("site_name", 120), ("address", 200), ("unit", 100), ("product", 60)])
def test_a_cell_wider_than_its_column_fails_its_row(quote, column, width):
    values = {"site_name": "Plant", "address": "84 Water St, Eastport, ME 04631", "unit": "", "product": "dia-1g"}
    values[column] = "s" * (width + 1)
    row = '{site_name},"{address}",{unit},,,,{product},12,1'

    rows = services.quote_sites_import(quote=quote, data=csv(row.format(**values)))

    assert rows[0].errors == {column: f"The cell is {width + 1} characters long; at most {width}."}
    assert QuoteLine.objects.count() == 0


def test_a_nul_character_fails_its_row_by_column_and_nothing_is_written(quote):
    data = csv(PLANT, 'Office,"12 Sea St, Eastport, ME 04631",,Al\x00 Ice,,,dia-1g,12,1')

    rows = services.quote_sites_import(quote=quote, data=data)

    assert [row.errors for row in rows] == [
        {},
        {"contact_name": "The cell contains a NUL character (\\0); remove it and upload the file again."},
    ]
    assert (QuoteLine.objects.count(), Location.objects.filter(account=quote.account).count()) == (0, 0)


def test_importing_the_valid_rows_leaves_out_a_row_with_a_nul_character(quote):
    data = csv(PLANT, 'Office\x00,"12 Sea St, Eastport, ME 04631",,,,,dia-1g,12,1')

    services.quote_sites_import(quote=quote, data=data, import_valid_rows=True)

    assert list(Location.objects.filter(account=quote.account).values_list("name", flat=True)) == ["Plant"]


def test_a_header_with_a_nul_character_refuses_the_file(quote):
    with pytest.raises(ValidationError) as error:
        services.quote_sites_import(quote=quote, data=csv(PLANT).replace(b"site_name", b"site\x00name"))

    assert "NUL" in error.value.message


def test_a_large_file_with_a_cell_past_the_csv_limit_is_kept_with_its_report_not_left_checking(quote):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = many_rows(600).decode().splitlines()
    rows[300] = rows[300].replace(",,,,,dia-1g", f",,{'x' * (CSV_LIMIT + 1)},,,dia-1g")
    job = services.site_import_job_create(quote=quote, upload=SimpleUploadedFile("big.csv", "\n".join(rows).encode()))

    job = services.site_import_job_run(job_id=job.pk)

    assert (job.status, job.rows_total, job.invalid_rows, job.error) == (
        "checked",
        600,
        1,
        "1 rows are invalid; nothing imported yet.",
    )
    assert job.report == [
        {
            "line": 301,
            "errors": {"contact_name": "This row cannot be read as CSV (field larger than field limit (131072))."},
        }
    ]
    assert quote.lines.count() == 0


def test_a_background_import_stopped_by_a_bug_is_marked_failed_with_its_reason(quote, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(site_imports, "_import_site_rows", broken)
    job = services.site_import_job_create(quote=quote, upload=SimpleUploadedFile("big.csv", many_rows(600)))

    job = services.site_import_job_run(job_id=job.pk)

    assert (job.status, job.error) == (
        "failed",
        "Stopped by an internal error after checking 600 rows; it is logged. Nothing more was imported.",
    )
    assert job.finished_at is not None
    assert quote.lines.count() == 0
