"""The invoice document: one HTML template (billing/invoice_document.html) that WeasyPrint turns
into the PDF staff download and the customer receives by email.

No writes here: a finalised invoice never changes, so its PDF is rendered again whenever it is
asked for and is the same document each time."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from headend.billing import call_charges, taxes
from headend.billing.models import Invoice, InvoiceLine, LineKind
from headend.contracts import documents as contract_documents

TEMPLATE = "billing/invoice_document.html"


@dataclass(frozen=True)
class InvoiceDocument:
    """A rendered invoice: the PDF's bytes and the file name it is served and attached under."""

    pdf: bytes
    filename: str


def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.select_related("service").order_by("position"))


def period_text(line: InvoiceLine) -> str:
    """The days a line is for, last day included ("Jan 1 to Jan 31, 2026" with an en dash) for a recurring line's
    period, the day for a one-time charge."""
    if line.period_start and line.period_end:
        last = line.period_end - dt.timedelta(days=1)
        return f"{line.period_start:%b %-d}\N{EN DASH}{last:%b %-d, %Y}"
    return f"{line.start_date:%b %-d, %Y}" if line.start_date else ""


def charge_rows(lines: list[InvoiceLine]) -> list[dict[str, Any]]:
    """The lines other than taxes, each with the days it is for."""
    return [{"line": line, "period": period_text(line)} for line in lines if line.kind != LineKind.TAX]


def tax_rows(lines: list[InvoiceLine]) -> list[dict[str, Any]]:
    """The tax lines, each with its rate as people write it (5.5, not 5.5000)."""
    return [
        {"line": line, "percent": taxes.percent_text(line.tax_rate) if line.tax_rate is not None else ""}
        for line in lines
        if line.kind == LineKind.TAX
    ]


def bill_to(invoice: Invoice) -> dict[str, str]:
    """Who the invoice is addressed to: the billing contact, else the customer's own details."""
    billing_account = invoice.billing_account
    account = billing_account.account
    contact = billing_account.contact
    return {
        "name": account.legal_name or account.name,
        "attention": str(contact) if contact else "",
        "email": (contact.email if contact and contact.email else account.email) or "",
    }


def filename(invoice: Invoice) -> str:
    """`Headend Fiber invoice INV-0000001.pdf`: the provider's name, the kind and the number."""
    kind = "credit note" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "invoice"
    return f"{settings.HEADEND_PROVIDER_NAME} {kind} {invoice.display_number}.pdf"


def context(invoice: Invoice, *, lines: list[InvoiceLine] | None = None) -> dict[str, Any]:
    """What the document template shows."""
    lines = lines_of(invoice) if lines is None else lines
    return {
        "provider_name": settings.HEADEND_PROVIDER_NAME,
        "provider_email": settings.DEFAULT_FROM_EMAIL,
        "logo": contract_documents.logo_data_uri(),
        "invoice": invoice,
        "is_credit_note": invoice.kind == Invoice.Kind.CREDIT_NOTE,
        "billing_account": invoice.billing_account,
        "account": invoice.billing_account.account,
        "bill_to": bill_to(invoice),
        "charges": charge_rows(lines),
        "taxes": tax_rows(lines),
        "usage": call_charges.usage_detail(invoice) if any(line.kind == LineKind.USAGE for line in lines) else [],
    }


def render_html(invoice: Invoice, *, lines: list[InvoiceLine] | None = None) -> str:
    return render_to_string(TEMPLATE, context(invoice, lines=lines))


def render(invoice: Invoice) -> InvoiceDocument:
    """The invoice's PDF (self-contained: WeasyPrint may fetch nothing but data: URLs)."""
    rendered = contract_documents.render_pdf(render_html(invoice))
    return InvoiceDocument(pdf=rendered.pdf, filename=filename(invoice))
