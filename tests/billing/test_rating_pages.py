"""The staff pages of voice rating (billing/rating_views.py): rate decks with their per-line
report, call imports with theirs, the unrated queue and its re-rate, and an invoice's call detail
on its page and PDF."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from headend.billing import cdrs, documents, runs
from headend.billing.models import CallRecord, CdrImport, Invoice, RateDeck
from headend.core import clock
from tests.billing.cdr_factories import DECK, cdr, make_voice_service, master_csv, upload_deck
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def staff(client):
    client.force_login(make_user("billing"))
    return client


@pytest.fixture
def line(run_worker):
    service = make_voice_service(minutes=None)
    run_worker()
    return service


@pytest.mark.parametrize(
    "name", ["billing:rate_deck_list", "billing:rate_deck_upload", "billing:cdr_import_list", "billing:cdr_import",
             "billing:unrated_calls"],
)  # fmt: skip
def test_each_page_opens_for_billing_staff(staff, name):
    assert staff.get(reverse(name)).status_code == 200


def test_readers_see_the_decks_without_the_upload_button(client):
    upload_deck()
    client.force_login(make_user("sales"))

    page = client.get(reverse("billing:rate_deck_list")).content.decode()

    assert "Retail 2026" in page
    assert reverse("billing:rate_deck_upload") not in page
    assert client.get(reverse("billing:rate_deck_upload")).status_code == 403


def test_a_deck_uploaded_shows_its_report_line_by_line(staff):
    response = staff.post(
        reverse("billing:rate_deck_upload"), {"name": "Retail", "file": upload("deck.csv", DECK.encode())}
    )

    deck = RateDeck.objects.get()
    assert response.status_code == 302
    assert response["Location"] == deck.get_absolute_url()
    page = staff.get(deck.get_absolute_url()).content.decode()
    assert "United Kingdom mobile: 0.20 a minute, mon-fri 08:00-19:00" in page
    assert page.count("<td>Added</td>") == 6


def test_a_deck_refused_lists_every_error_by_line_and_writes_nothing(staff):
    bad = DECK + "44,United Kingdom again,0.06,30,6,2026-01-01,,no\n"

    response = staff.post(reverse("billing:rate_deck_upload"), {"file": upload("deck.csv", bad.encode())})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Prefix 44 from 2026-01-01 is also on line 5 (both without a band)." in page
    assert '<td class="num">8</td><td>prefix</td>' in page
    assert RateDeck.objects.count() == 0


def test_calls_imported_show_their_counts_and_the_lines_to_look_at(staff, line):
    upload_deck()
    data = master_csv(
        cdr("p1", "2026-03-02 09:00:00", "12125550100", 61), cdr("p2", "2026-03-02 09:10:00", "99912345", 61)
    )

    response = staff.post(
        reverse("billing:cdr_import"),
        {"file": upload("Master.csv", data), "format": "asterisk", "time_zone": "provider"},
    )

    batch = CdrImport.objects.get()
    assert response["Location"] == batch.get_absolute_url()
    assert (batch.rated, batch.unrated, batch.imported_by.groups.get().name) == (1, 1, "billing")
    page = staff.get(batch.get_absolute_url()).content.decode()
    assert "No rate for &#x27;99912345&#x27; on 2026-03-02 09:10." in page


def test_a_call_file_refused_lists_its_errors_by_line_and_writes_nothing(staff, line):
    data = master_csv(cdr("p1", "2026-03-02 09:00:00", "12125550100", 61, duration=-1))

    response = staff.post(
        reverse("billing:cdr_import"),
        {"file": upload("Master.csv", data), "format": "asterisk", "time_zone": "provider"},
    )

    page = response.content.decode()
    assert "duration is negative (-1): a call lasts 0 seconds or more." in page
    assert '<td class="num">1</td><td>duration</td>' in page
    assert (CdrImport.objects.count(), CallRecord.objects.count()) == (0, 0)


def test_a_mapped_import_without_its_columns_names_the_field(staff, line):
    response = staff.post(
        reverse("billing:cdr_import"),
        {"file": upload("calls.csv", b"id,to\n1,12125550100\n"), "format": "mapped", "time_zone": "UTC",
         "unique_id": "id"},
    )  # fmt: skip

    assert "Name the file&#x27;s column of the destination number." in response.content.decode()
    assert CdrImport.objects.count() == 0


def test_the_unrated_queue_lists_the_calls_and_rates_them_again(staff, line):
    cdrs.cdr_import(data=master_csv(cdr("q1", "2026-03-02 09:00:00", "12125550100", 61)), file_name="Master.csv")
    page = staff.get(reverse("billing:unrated_calls")).content.decode()
    assert "No rate for &#x27;12125550100&#x27; on 2026-03-02 09:00." in page
    upload_deck()

    response = staff.post(reverse("billing:calls_rerate"))

    assert response["Location"] == reverse("billing:unrated_calls")
    assert CallRecord.objects.get().status == "rated"
    assert "1 call rated, 0 not charged; 0 still unrated." in staff.get(response["Location"]).content.decode()


def test_an_invoice_shows_its_call_detail_by_destination_on_its_page_and_pdf(staff, line):
    upload_deck()
    cdrs.cdr_import(
        data=master_csv(
            cdr("i1", "2026-03-02 09:00:00", "12125550100", 61),
            cdr("i2", "2026-03-03 09:00:00", "12125550100", 125),
            cdr("i3", "2026-03-07 12:00:00", "+447700900123", 60),
        ),
        file_name="Master.csv",
    )
    with clock.frozen(dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 4, 1)))
    invoice = Invoice.objects.get()

    page = staff.get(invoice.get_absolute_url()).content.decode()
    html = documents.render_html(invoice)

    for shown in (page, html):
        assert "Call detail" in shown
        assert '<td>United States and Canada</td><td class="num">2</td><td class="num">3.2 min</td>' in shown
        assert '<td>United Kingdom mobile</td><td class="num">1</td><td class="num">1 min</td>' in shown
