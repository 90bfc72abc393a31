"""Billing account pages: one billing account (its services, invoices, unbilled charges and next
invoice), opening and editing one, and adding a one-time charge or credit to it."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.billing import accounts, invoices, views
from headend.billing.forms import BillingAccountForm, ChargeForm
from headend.billing.models import BillingAccount, Cycle, Delivery, OneTimeCharge, Subscription
from headend.core import clock, panels
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.permissions import may, permission_required
from headend.crm import selectors as crm_selectors

FORM = "billing/billing_account_form.html"
DETAIL = "billing/billing_account_detail.html"


def _detail(request: HttpRequest, billing_account: BillingAccount, *, charge_form: ChargeForm | None = None) -> dict:
    can_manage = may(request.user, "billing.manage")
    if charge_form is None and can_manage:
        charge_form = ChargeForm(billing_account=billing_account)
    return {
        "billing_account": billing_account,
        "account": billing_account.account,
        "children": billing_account.children.order_by("id"),
        "subscriptions": Subscription.objects.filter(billing_account=billing_account)
        .select_related("service__product_version__product", "service__location")
        .order_by("service_id"),
        "invoices": billing_account.invoices.order_by("-bill_date", "-id")[:25],
        "charges": OneTimeCharge.objects.filter(billing_account=billing_account, invoice_line=None)
        .select_related("subscription__service", "created_by")
        .order_by("incurred_on", "id"),
        "balance": views.balance([billing_account]),
        "preview": views.preview(billing_account),
        "today": clock.today(),
        "can_manage": can_manage,
        "charge_form": charge_form,
        # What the apps above show here (payments: the payer's payments, methods and dunning).
        "section_panels": panels.render("billing_account.sections", request=request, obj=billing_account),
    }


@permission_required("billing.read")
def billing_account_detail_view(request: HttpRequest, billing_account_id: int) -> HttpResponse:
    billing_account = views.billing_account_get(billing_account_id=billing_account_id)
    return render(request, DETAIL, _detail(request, billing_account))


def _values(form: BillingAccountForm) -> dict[str, Any]:
    values = dict(form.cleaned_data)
    values["proration"] = values.get("proration") or ""
    return values


@permission_required("billing.manage")
def billing_account_create_view(request: HttpRequest) -> HttpResponse:
    account = crm_selectors.account_get_for(user=request.user, account_id=request.GET.get("account"))
    initial = {
        "currency": settings.HEADEND_CURRENCY,
        "cycle": Cycle.CALENDAR,
        "bill_day": getattr(settings, "HEADEND_BILLING_BILL_DAY", 1),
        "payment_terms_days": 15,
        "delivery": Delivery.EMAIL,
    }
    form = BillingAccountForm(request.POST or None, initial=initial, account=account)
    if request.method == "POST" and form.is_valid():
        values = _values(form)
        is_default = values.pop("is_default")
        try:
            billing_account = accounts.billing_account_create(
                account=account, created_by=request.user, is_default=is_default or None, **values
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Billing account {billing_account.number} opened.")
            return redirect(billing_account)
    return render(request, FORM, {"form": form, "account": account})


@permission_required("billing.manage")
def billing_account_edit_view(request: HttpRequest, billing_account_id: int) -> HttpResponse:
    billing_account = views.billing_account_get(billing_account_id=billing_account_id)
    initial = {key: getattr(billing_account, key) for key in (*accounts.FIELDS, "is_default")}
    form = BillingAccountForm(
        request.POST or None, initial=initial, account=billing_account.account, editing=billing_account
    )
    if request.method == "POST" and form.is_valid():
        values = _values(form)
        if not values["is_default"]:
            values.pop("is_default")  # unticking is not a change: another account is made the default instead
        try:
            accounts.billing_account_update(billing_account=billing_account, updated_by=request.user, **values)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Billing account {billing_account.number} saved.")
            return redirect(billing_account)
    context = {"form": form, "account": billing_account.account, "billing_account": billing_account}
    return render(request, FORM, context)


@require_POST
@permission_required("billing.manage")
def charge_add_view(request: HttpRequest, billing_account_id: int) -> HttpResponse:
    billing_account = views.billing_account_get(billing_account_id=billing_account_id)
    form = ChargeForm(request.POST, billing_account=billing_account)
    if form.is_valid():
        data = form.cleaned_data
        subscription = data["service"]
        try:
            charge = invoices.charge_add(
                billing_account=billing_account,
                created_by=request.user,
                kind=data["kind"],
                description=data["description"],
                amount=data["amount"],
                service=subscription.service if subscription else None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            what = "Credit" if charge.amount < 0 else "Charge"
            messages.success(request, f"{what} of {charge.amount} added: it is billed on the next invoice.")
            return redirect(billing_account)
    return render(request, DETAIL, _detail(request, billing_account, charge_form=form))
