"""Invoice pages: the list (by status, overdue), one invoice or credit note with its lines,
taxes, credit notes and ledger entries, its PDF, and what billing staff do to it: send, void,
credit, finalise a credit note."""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.billing import documents, invoices, notifications, views
from headend.billing.forms import CreditNoteForm, VoidForm
from headend.billing.models import Invoice, JournalEntry
from headend.core import clock, panels, user_files
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required

DETAIL = "billing/invoice_detail.html"


def _filtered(status: str, overdue: bool) -> QuerySet[Invoice]:
    found = Invoice.objects.select_related("billing_account__account", "corrects")
    if status:
        found = found.filter(status=status)
    if overdue:
        found = views.open_invoices().filter(pk__in=found.values("pk"), amount_due__gt=0, due_date__lt=clock.today())
        found = found.select_related("billing_account__account", "corrects")
    return found.order_by("-bill_date", "-id")


@permission_required("billing.read")
def invoice_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Invoice.Status.values else ""
    overdue = request.GET.get("overdue") == "1"
    context = {
        "status": status,
        "overdue": overdue,
        "statuses": Invoice.Status.choices,
        "today": clock.today(),
        **paginate(request, _filtered(status, overdue)),
    }
    return render(request, "billing/invoice_list.html", context)


def _detail(
    request: HttpRequest,
    invoice: Invoice,
    *,
    credit_form: CreditNoteForm | None = None,
    void_form: VoidForm | None = None,
) -> dict:
    lines = documents.lines_of(invoice)
    can_manage = may(request.user, "billing.manage")
    is_invoice = invoice.kind == Invoice.Kind.INVOICE
    can_void = can_manage and is_invoice and invoice.can_transition(Invoice.Status.VOID)
    can_credit = can_manage and is_invoice and invoice.status in (*views.OPEN_STATUSES, Invoice.Status.SETTLED)
    return {
        "invoice": invoice,
        "billing_account": invoice.billing_account,
        "account": invoice.billing_account.account,
        "is_credit_note": not is_invoice,
        "charges": documents.charge_rows(lines),
        "taxes": documents.tax_rows(lines),
        "credit_notes": invoice.credit_notes.order_by("id"),
        "journal": JournalEntry.objects.filter(invoice=invoice).prefetch_related("lines").order_by("date", "id"),
        "overdue": views.is_overdue(invoice, today=clock.today()),
        "can_send": can_manage and invoice.status == Invoice.Status.FINALISED,
        "can_void": can_void,
        "can_credit": can_credit,
        "can_finalise": can_manage and not is_invoice and invoice.status == Invoice.Status.DRAFT,
        "credit_form": credit_form or (CreditNoteForm() if can_credit else None),
        "void_form": void_form or (VoidForm() if can_void else None),
        # What the apps above show here (payments: what paid the invoice, write-offs).
        "section_panels": panels.render("invoice.sections", request=request, obj=invoice),
    }


@permission_required("billing.read")
def invoice_detail_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = views.invoice_get(invoice_id=invoice_id)
    return render(request, DETAIL, _detail(request, invoice))


@permission_required("billing.read")
def invoice_pdf_view(request: HttpRequest, invoice_id: int) -> HttpResponseBase:
    """The invoice as a PDF download, named with the provider's name and the invoice's number."""
    invoice = views.invoice_get(invoice_id=invoice_id)
    document = documents.render(invoice)
    return user_files.download_response(document.pdf, filename=document.filename, kind=user_files.DOCUMENT)


@require_POST
@permission_required("billing.manage")
def invoice_send_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Email the invoice to the customer (the PDF attached) and mark it sent."""
    invoice = views.invoice_get(invoice_id=invoice_id)
    try:
        to = notifications.invoice_email_send_now(invoice=invoice, sent_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{invoice.display_number} is being emailed to {to}.")
    return redirect(invoice)


@require_POST
@permission_required("billing.manage")
def invoice_void_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = views.invoice_get(invoice_id=invoice_id)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            invoices.invoice_void(invoice=invoice, voided_by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{invoice.display_number} is void: its charges go on the next invoice.")
            return redirect(invoice)
    return render(request, DETAIL, _detail(request, invoice, void_form=form))


@require_POST
@permission_required("billing.manage")
def credit_note_create_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = views.invoice_get(invoice_id=invoice_id)
    form = CreditNoteForm(request.POST)
    if form.is_valid():
        try:
            note = invoices.credit_note_create(
                invoice=invoice,
                created_by=request.user,
                reason=form.cleaned_data["reason"],
                amount=form.cleaned_data["amount"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Draft credit note for {invoice.display_number} made: check it and finalise it.")
            return redirect(note)
    return render(request, DETAIL, _detail(request, invoice, credit_form=form))


@require_POST
@permission_required("billing.manage")
def credit_note_finalise_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    note = views.invoice_get(invoice_id=invoice_id)
    try:
        note = invoices.credit_note_finalise(credit_note=note, finalised_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Credit note {note.number} is final.")
    return redirect(note)
