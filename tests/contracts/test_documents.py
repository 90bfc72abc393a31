import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from headend.contracts import services
from headend.contracts.models import QuoteDocument, TermsVersion
from headend.core import clock
from headend.quoting import services as quoting_services
from headend.quoting.models import QuoteLine
from tests.contracts.conftest import make_offer, make_terms, pdf_pages, pdf_text, read
from tests.factories import make_location, make_product

pytestmark = pytest.mark.django_db


def test_quote_document_render_is_a_pdf_with_customer_lines_totals_and_terms():
    quote = make_offer()

    document = services.quote_document_render(quote=quote)

    data = read(document)
    text = pdf_text(data)
    assert data.startswith(b"%PDF-")
    assert "Passamaquoddy Boatworks LLC" in text
    assert "Dedicated Fiber 1G" in text
    assert "Boatyard" in text
    assert "Office" in text
    assert "$670.00" in text  # MRR: 475 + 3 x 65
    assert "$297.00" in text  # one-time: 3 x 99
    assert "$19,737.00" in text  # 475 x 36 + 195 x 12 + 297
    assert "Standard terms v1" in text
    assert (document.quote_number, document.quote_revision, document.is_draft) == (quote.number, 1, False)
    assert document.terms == TermsVersion.objects.get(label="Standard terms v1")


def test_rendering_a_document_logs_no_weasyprint_warning(caplog):
    """WeasyPrint warns about CSS it cannot read (a media query with a feature, say): one
    warning per document would fill a provider's log with noise that hides real problems."""
    with caplog.at_level("WARNING", logger="weasyprint"):
        services.quote_document_render(quote=make_offer())

    assert [record.getMessage() for record in caplog.records if record.name.startswith("weasyprint")] == []


def test_quote_document_hash_is_the_sha256_of_the_stored_file():
    document = services.quote_document_render(quote=make_offer())

    data = read(document)

    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert (document.size, document.pages) == (len(data), pdf_pages(data))


def test_the_terms_text_follows_on_its_own_page():
    document = services.quote_document_render(quote=make_offer())

    reader = PdfReader(io.BytesIO(read(document)))

    first, last = reader.pages[0].extract_text(), reader.pages[-1].extract_text()
    assert len(reader.pages) == 2
    assert "Total contract value" in first
    assert "Early termination" not in first
    assert "8. Early termination." in last
    assert "Total contract value" not in last


def test_rendering_twice_without_changes_stores_one_document():
    quote = make_offer()

    first = services.quote_document_render(quote=quote)
    second = services.quote_document_render(quote=quote)

    assert first.pk == second.pk
    assert QuoteDocument.objects.filter(quote=quote).count() == 1


def test_the_accepted_quote_keeps_the_document_it_was_presented_with():
    quote = make_offer()
    presented = services.quote_document_render(quote=quote)

    quote = quoting_services.quote_accept(quote=quote, accepted_by_name="Jo Boatwright")

    assert services.quote_document_render(quote=quote).pk == presented.pk


def test_a_draft_that_changes_gets_a_new_document_marked_draft():
    quote = make_offer(present=False)
    before = services.quote_document_render(quote=quote)
    quoting_services.quote_line_add(
        quote=quote, location=make_location(quote.account), product_version=make_product(), term_months=12
    )

    after = services.quote_document_render(quote=quote)

    assert after.pk != before.pk
    assert (before.is_draft, after.is_draft) == (True, True)
    assert "Draft for review" in pdf_text(read(after))


def test_a_new_revision_renders_a_new_document():
    quote = make_offer()
    first = services.quote_document_render(quote=quote)
    revision = quoting_services.quote_revise(quote=quote)
    revision = quoting_services.quote_present(quote=revision)

    second = services.quote_document_render(quote=revision)

    assert second.pk != first.pk
    assert (second.quote_id, second.quote_revision) == (revision.pk, 2)
    text = pdf_text(read(second))
    assert "Revision B" in text
    assert "version 1" not in text.lower()
    assert "version 2" not in text.lower()


def test_a_presented_quote_stays_under_the_terms_in_effect_the_day_it_was_presented():
    quote = make_offer()
    make_terms("Standard terms v2", effective_date=clock.today() + dt.timedelta(days=1))

    with clock.frozen(clock.now() + dt.timedelta(days=2)):
        document = services.quote_document_render(quote=quote)
        draft = services.quote_document_render(quote=make_offer(present=False))

    assert document.terms.label == "Standard terms v1"
    assert draft.terms.label == "Standard terms v2"


def test_change_lines_show_the_monthly_charge_before_and_after():
    quote = make_offer(present=False)
    QuoteLine.objects.filter(quote=quote, position=1).update(action="upgrade", mrc_before_amount=Decimal("389.00"))

    text = pdf_text(read(services.quote_document_render(quote=quote))).lower()

    assert "monthly before" in text
    assert "monthly after" in text
    assert "$389.00" in text
    assert "upgrade" in text
