import datetime as dt
import io
import re

import pytest
from django.core import mail
from pypdf import PdfReader

from headend.contracts.models import QuoteDocument, TermsVersion
from headend.crm import services as crm_services
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote
from tests.factories import make_account, make_location, make_product

LINK = re.compile(r"https?://[^\s]+/sign/\d+/[^\s/]+/")


def make_terms(label: str = "Test terms v1", **overrides) -> TermsVersion:
    values = {"effective_date": dt.date(2024, 1, 1), "body": "1. Service. We connect you.\n\n2. Billing. You pay."}
    values.update(overrides)
    return TermsVersion.objects.create(label=label, **values)


def make_customer(**overrides):
    """A business with a primary contact who has an email address."""
    values = {"legal_name": "Passamaquoddy Boatworks LLC", "email": "office@boatworks.example"}
    values.update(overrides)
    account = make_account(**values)
    crm_services.contact_create(account=account, first_name="Jo", last_name="Boatwright", email="jo@boatworks.example")
    return account


def make_offer(*, account=None, present: bool = True) -> Quote:
    """A quote for two sites: Dedicated fiber 1G on 36 months at the boatyard, 3 x Fiber 300 on 12 at the office."""
    account = account or make_customer()
    dia = make_product(prices={12: ("650.00", "1500.00"), 36: ("475.00", "0.00")})
    dia.product.name = "Dedicated Fiber 1G"
    dia.product.save(update_fields=["name"])
    home = make_product(prices={12: ("65.00", "99.00")}, download_mbps=300, upload_mbps=300)
    quote = quoting_services.quote_create(account=account, name="Boatworks fiber")
    yard = make_location(account, name="Boatyard", line1="40 Water Street")
    office = make_location(account, name="Office", line1="2 Key Street")
    quoting_services.quote_line_add(quote=quote, location=yard, product_version=dia, term_months=36)
    quoting_services.quote_line_add(quote=quote, location=office, product_version=home, term_months=12, quantity=3)
    if present:
        quote = quoting_services.quote_present(quote=quote)
    quote.refresh_from_db()
    return quote


def pdf_text(data: bytes) -> str:
    """The document's words, one space apart: where a line wraps depends on the fonts installed."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def read(document: QuoteDocument) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def link_from_outbox(index: int = -1) -> str:
    """The path of the signing link in an email sent (the last one by default)."""
    found = LINK.search(mail.outbox[index].body)
    assert found, mail.outbox[index].body
    return "/" + found.group(0).split("/", 3)[3]


@pytest.fixture
def offer(run_worker):
    """A presented quote whose signing link went out: (quote, path of the link)."""
    quote = make_offer()
    run_worker()
    return quote, link_from_outbox()
