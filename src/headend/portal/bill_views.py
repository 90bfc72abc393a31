"""The customer's bills in the portal (/portal/bills/): invoices with their PDF, pay now (pay
ahead too), stored cards and bank accounts with autopay, and the payment history.

Only an admin or billing login reaches these pages (`portal_required(pay=True)`: a technical
login sees 404). Every record comes through the customer's own account (portal/bills.py), and
money moves only through the payments use cases, called with None as the user: the customer
acting for themselves, ownership checked here first."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from headend.billing import documents
from headend.billing.models import BillingAccount
from headend.core import clock, user_files
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.ids import parse_id
from headend.core.pagination import paginate
from headend.payments import gateway, methods, payments
from headend.payments.models import Payment

from . import auth, bills
from .bill_forms import MethodAddForm, PayForm, method_label

PAY_PAGE = "portal/bills/pay_form.html"
METHODS_PAGE = "portal/bills/method_list.html"


def _customer(request: HttpRequest) -> auth.Customer:
    return request.customer  # type: ignore[attr-defined]


def _payers(request: HttpRequest) -> list[BillingAccount]:
    return bills.payers_of(_customer(request).account)


@auth.portal_required(pay=True)
def bills_view(request: HttpRequest) -> HttpResponse:
    """What the customer owes and has credit for, the next invoice, and the invoices, newest first."""
    payers = _payers(request)
    today = clock.today()
    listed = paginate(request, bills.invoices_of(payers))
    context = {
        "summaries": bills.summaries(payers, today=today),
        "rows": bills.invoice_rows(listed["items"], today=today),
        "several": len(payers) > 1,
        **listed,
    }
    return render(request, "portal/bills/invoice_list.html", context)


@auth.portal_required(pay=True)
def invoice_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = bills.invoice_get_for(account=_customer(request).account, invoice_id=invoice_id)
    lines = documents.lines_of(invoice)
    status = bills.customer_status(invoice, today=clock.today())
    context = {
        "invoice": invoice,
        "status": status,
        "status_words": bills.STATUS_WORDS[status],
        "charges": documents.charge_rows(lines),
        "taxes": documents.tax_rows(lines),
        "allocations": bills.allocations_to(invoice),
        "payable": status in (bills.DUE, bills.OVERDUE, bills.PARTLY_PAID),
    }
    return render(request, "portal/bills/invoice_detail.html", context)


@auth.portal_required(pay=True)
def invoice_pdf_view(request: HttpRequest, invoice_id: int) -> HttpResponseBase:
    """The invoice's PDF, always as a download (an attachment, never shown inline)."""
    invoice = bills.invoice_get_for(account=_customer(request).account, invoice_id=invoice_id)
    document = documents.render(invoice)
    return user_files.download_response(document.pdf, filename=document.filename, kind=user_files.DOCUMENT)


@auth.portal_required(pay=True)
def pay_view(request: HttpRequest) -> HttpResponseBase:
    """Pay now for the payer that owes (the first that does, else the first): one payer's form."""
    payers = _payers(request)
    if not payers:
        return render(request, PAY_PAGE, {"payer": None})
    owing = [payer for payer in payers if bills.open_invoices_of(payer).exists()]
    target = reverse("portal:bill_pay_for", args=[(owing or payers)[0].pk])
    query = request.GET.urlencode()
    return redirect(f"{target}?{query}" if query else target)


def _pay_form(request: HttpRequest, payer: BillingAccount) -> PayForm:
    open_invoices = bills.open_invoices_of(payer)
    initial: dict[str, Any] = {}
    named = request.GET.get("invoice")
    if named and open_invoices.filter(pk=parse_id(named)).exists():
        initial["invoices"] = [parse_id(named)]
    return PayForm(
        request.POST or None,
        payer=payer,
        methods=bills.methods_of([payer]),
        open_invoices=open_invoices,
        initial=initial,
    )


def _take(payer: BillingAccount, form: PayForm) -> Payment:
    """Charge now through the payments use cases: a new token is stored first (as a method of
    the payer), then charged under the form's key, so a second submit charges nothing more."""
    data = form.cleaned_data
    method = data["payment_method"] or methods.payment_method_add(
        billing_account=payer, token=data["token"], added_by=None
    )
    return payments.payment_take(
        billing_account=payer,
        amount=data["amount"],
        payment_method=method,
        taken_by=None,
        invoices=[invoice.pk for invoice in data["invoices"]],
        idempotency_key=data["key"],
        reference="Paid in the portal",
    )


@auth.portal_required(pay=True)
def pay_for_view(request: HttpRequest, payer_id: int) -> HttpResponseBase:
    """Pay now, in two steps: the form, then what the amount pays and what becomes credit, to
    confirm. Without a gateway, how to pay by cheque or bank transfer instead."""
    payer = bills.payer_get_for(account=_customer(request).account, payer_id=payer_id)
    context: dict[str, Any] = {
        "payer": payer,
        "standing": bills.standing_of(payer, today=clock.today()),
        "gateway": gateway.configured(),
    }
    if not context["gateway"]:
        return render(request, PAY_PAGE, context)
    step = request.POST.get("step", "")
    done = bills.payment_by_key(payer, request.POST.get("key", "")) if step == "confirm" else None
    if done is not None:  # the form sent again (a double click, a reload): what the first did
        return redirect("portal:bill_payment", done.pk)
    form = _pay_form(request, payer)
    context["form"] = form
    if request.method == "POST" and form.is_valid() and step in ("review", "confirm"):
        if step == "confirm":
            try:
                payment = _take(payer, form)
            except DomainError as exc:
                add_domain_error(form, exc)
                return render(request, PAY_PAGE, context)
            return redirect("portal:bill_payment", payment.pk)
        data = form.cleaned_data
        named = [invoice.pk for invoice in data["invoices"]]
        context["plan"] = bills.pay_plan(payer, amount=data["amount"], named=named)
        context["method_words"] = (
            method_label(data["payment_method"]) if data["payment_method"] else "the new card or bank account"
        )
        return render(request, "portal/bills/pay_review.html", context)
    return render(request, PAY_PAGE, context)


@auth.portal_required(pay=True)
def payment_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    """One payment: the outcome of Pay now (paid, declined with the bank's words, pending), what
    it paid and its refunds."""
    payment = bills.payment_get_for(account=_customer(request).account, payment_id=payment_id)
    return render(request, "portal/bills/payment_detail.html", {"payment": payment})


@auth.portal_required(pay=True)
def payments_view(request: HttpRequest) -> HttpResponse:
    """Payment history: newest first, how, how much, its status, what it paid, refunds."""
    payers = _payers(request)
    return render(
        request,
        "portal/bills/payment_list.html",
        {"several": len(payers) > 1, **paginate(request, bills.payments_of(payers))},
    )


@auth.portal_required(pay=True)
def methods_view(request: HttpRequest) -> HttpResponseBase:
    """Stored cards and bank accounts (autopay marked), and storing a new one by its token."""
    payers = _payers(request)
    configured = gateway.configured()
    form = MethodAddForm(request.POST or None, payers=payers) if configured and payers else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            method = methods.payment_method_add(
                billing_account=form.cleaned_data["billing_account"],
                token=form.cleaned_data["token"],
                added_by=None,
                autopay=form.cleaned_data["autopay"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{method_label(method)} stored{' for autopay' if method.autopay else ''}.")
            return redirect("portal:bill_methods")
    context = {
        "methods": bills.methods_of(payers),
        "form": form,
        "gateway": configured,
        "several": len(payers) > 1,
    }
    return render(request, METHODS_PAGE, context)


@require_POST
@auth.portal_required(pay=True)
def method_remove_view(request: HttpRequest, payment_method_id: int) -> HttpResponse:
    method = bills.method_get_for(account=_customer(request).account, payment_method_id=payment_method_id)
    try:
        methods.payment_method_remove(payment_method=method, removed_by=None)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{method_label(method)} removed.")
    return redirect("portal:bill_methods")


@require_POST
@auth.portal_required(pay=True)
def method_autopay_view(request: HttpRequest, payment_method_id: int) -> HttpResponse:
    """Autopay on (`autopay=on`) or off for one stored method; on here is off on the others."""
    method = bills.method_get_for(account=_customer(request).account, payment_method_id=payment_method_id)
    autopay = request.POST.get("autopay") == "on"
    try:
        methods.payment_method_set_autopay(payment_method=method, autopay=autopay, changed_by=None)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        state = "on: it is charged on each invoice's due date" if autopay else "off"
        messages.success(request, f"Autopay is {state} for {method_label(method)}.")
    return redirect("portal:bill_methods")
