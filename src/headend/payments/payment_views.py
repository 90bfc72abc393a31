"""Payment pages: the list of payments, one payment (what it paid, its refunds, its history), and
what billing staff do with money: take a payment (by hand or from a stored method), refund,
reverse, write an invoice off, store a card or bank account and turn autopay on or off.

The account page's and the invoice page's forms (panels.py) post here; a form with an error is
shown again on a page of its own, with the error on its field."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.billing import views as billing_views
from headend.billing.models import BillingAccount
from headend.core import clock, events
from headend.core.errors import DomainError, NotFound
from headend.core.forms import add_domain_error
from headend.core.ids import parse_id
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required
from headend.core.templatetags.headend import money

from . import gateway, methods, payments, views
from .forms import STORED, PaymentForm, PaymentMethodForm, RefundForm, ReverseForm, WriteOffForm
from .models import Means, Payment, PaymentMethod

DETAIL = "payments/payment_detail.html"


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@permission_required("billing.read")
def payment_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Payment.Status.values else ""
    means = request.GET.get("means", "")
    means = means if means in Means.values else ""
    date_from, date_to = _date(request.GET.get("from", "")), _date(request.GET.get("to", ""))
    context = {
        "status": status,
        "means": means,
        "date_from": date_from,
        "date_to": date_to,
        "statuses": Payment.Status.choices,
        "means_choices": Means.choices,
        **paginate(request, views.payment_list(status=status, means=means, date_from=date_from, date_to=date_to)),
    }
    return render(request, "payments/payment_list.html", context)


def _detail(
    request: HttpRequest,
    payment: Payment,
    *,
    refund_form: RefundForm | None = None,
    reverse_form: ReverseForm | None = None,
) -> dict[str, Any]:
    can_take = may(request.user, "payment.take")
    can_refund = can_take and payment.refundable_amount > 0
    can_reverse = can_take and payment.status == Payment.Status.SUCCEEDED
    if refund_form is None and can_refund:
        refund_form = RefundForm()  # no amount offered: a refund of everything is typed, not clicked
    return {
        "payment": payment,
        "billing_account": payment.billing_account,
        "account": payment.billing_account.account,
        "allocations": views.allocations_of_payment(payment),
        "refunds": payment.refunds.select_related("created_by").order_by("created_at", "id"),
        "history": payment.history.select_related("history_user").order_by("history_date", "history_id"),
        "activity": events.activity(payment),
        "refund_form": refund_form,
        "reverse_form": reverse_form or (ReverseForm() if can_reverse else None),
    }


@permission_required("billing.read")
def payment_detail_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = views.payment_get(payment_id=payment_id)
    return render(request, DETAIL, _detail(request, payment))


@require_POST
@permission_required("payment.take")
def refund_create_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Give money back on a payment: never more than it paid and was not refunded yet."""
    payment = views.payment_get(payment_id=payment_id)
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            refund = payments.refund_create(
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                refunded_by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            amount = money(refund.amount, payment.currency)
            if refund.status == refund.Status.SUCCEEDED:
                messages.success(request, f"Refund {refund.number} of {amount} recorded.")
            elif refund.status == refund.Status.FAILED:
                messages.error(request, f"The gateway refused refund {refund.number}: {refund.failure_message}")
            else:
                messages.warning(request, f"Refund {refund.number} of {amount} is pending at the gateway.")
            return redirect(payment)
    return render(request, DETAIL, _detail(request, views.payment_get(payment_id=payment_id), refund_form=form))


@require_POST
@permission_required("payment.take")
def payment_reverse_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The payment came back (a bounced cheque, a chargeback): what it paid is owed again."""
    payment = views.payment_get(payment_id=payment_id)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            payments.payment_reverse(payment=payment, reversed_by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{payment.number} is reversed: the invoices it paid are open again.")
            return redirect(payment)
    return render(request, DETAIL, _detail(request, views.payment_get(payment_id=payment_id), reverse_form=form))


def _take(request: HttpRequest, payer: BillingAccount, form: PaymentForm) -> Payment:
    data = form.cleaned_data
    invoices = [invoice.pk for invoice in data["invoices"]]
    if data["means"] == STORED:
        return payments.payment_take(
            billing_account=payer,
            amount=data["amount"],
            payment_method=data.get("payment_method"),
            taken_by=request.user,
            invoices=invoices,
            reference=data["reference"],
            idempotency_key=data["key"],
        )
    return payments.payment_record(
        billing_account=payer,
        amount=data["amount"],
        means=data["means"],
        recorded_by=request.user,
        reference=data["reference"],
        received_on=data["received_on"],
        invoices=invoices,
        idempotency_key=data["key"],
    )


def _taken_message(request: HttpRequest, payment: Payment) -> None:
    amount = money(payment.amount, payment.currency)
    if payment.status == Payment.Status.SUCCEEDED:
        credit = f"; {money(payment.unapplied_amount, payment.currency)} is credit" if payment.unapplied_amount else ""
        messages.success(request, f"Payment {payment.number} of {amount} recorded{credit}.")
    elif payment.status == Payment.Status.FAILED:
        messages.error(request, f"Payment {payment.number} of {amount} was declined: {payment.failure_message}")
    else:
        messages.warning(request, f"Payment {payment.number} of {amount} is pending at the gateway.")


@permission_required("payment.take")
def payment_take_view(request: HttpRequest, billing_account_id: int) -> HttpResponse:
    """Take a payment for a billing account's payer (the form is also on the account page)."""
    billing_account = billing_views.billing_account_get(billing_account_id=billing_account_id)
    payer = billing_account.payer
    standing = views.payer_standing(payer, today=clock.today())
    form = PaymentForm(
        request.POST or None,
        payer=payer,
        gateway=gateway.configured(),
        initial={
            "amount": str(standing.balance_amount) if standing.balance_amount else None,
            "received_on": clock.today(),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            payment = _take(request, payer, form)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            _taken_message(request, payment)
            return redirect(billing_account)
    context = {"billing_account": billing_account, "payer": payer, "standing": standing, "form": form}
    return render(request, "payments/payment_take.html", context)


@permission_required("payment.write_off")
def write_off_create_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Give up collecting (part of) what an invoice owes (the form is also on the invoice page)."""
    invoice = billing_views.invoice_get(invoice_id=invoice_id)
    form = WriteOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            write_off = payments.write_off_create(
                invoice=invoice,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                written_off_by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            amount = money(write_off.amount, invoice.currency)
            messages.success(request, f"{amount} of {invoice.display_number} written off as bad debt.")
            return redirect(invoice)
    return render(request, "payments/write_off_form.html", {"invoice": invoice, "form": form})


@permission_required("payment_method.manage")
def payment_method_add_view(request: HttpRequest, billing_account_id: int) -> HttpResponse:
    """Store a card or bank account the gateway tokenised for the billing account's payer."""
    billing_account = billing_views.billing_account_get(billing_account_id=billing_account_id)
    form = PaymentMethodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            method = methods.payment_method_add(
                billing_account=billing_account.payer,
                token=form.cleaned_data["token"],
                added_by=request.user,
                autopay=form.cleaned_data["autopay"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{method} stored{' for autopay' if method.autopay else ''}.")
            return redirect(billing_account)
    context = {"billing_account": billing_account, "form": form, "gateway": gateway.configured()}
    return render(request, "payments/payment_method_form.html", context)


def _method_get(payment_method_id: object) -> PaymentMethod:
    found = PaymentMethod.objects.select_related("billing_account").filter(pk=parse_id(payment_method_id)).first()
    if found is None:
        raise NotFound("No such payment method.", field="id")
    return found


@require_POST
@permission_required("payment_method.manage")
def payment_method_remove_view(request: HttpRequest, payment_method_id: int) -> HttpResponse:
    method = _method_get(payment_method_id)
    try:
        methods.payment_method_remove(payment_method=method, removed_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{method} removed.")
    return redirect(method.billing_account)


@require_POST
@permission_required("payment_method.manage")
def payment_method_autopay_view(request: HttpRequest, payment_method_id: int) -> HttpResponse:
    """Autopay on (`autopay=on`) or off for one stored method."""
    method = _method_get(payment_method_id)
    autopay = request.POST.get("autopay") == "on"
    try:
        methods.payment_method_set_autopay(payment_method=method, autopay=autopay, changed_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Autopay {'on' if autopay else 'off'} for {method}.")
    return redirect(method.billing_account)
