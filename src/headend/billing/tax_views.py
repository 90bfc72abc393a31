"""Staff pages of the tax table: every rate by state, a new rate, correcting one, ending one.
Billing and finance keep the table; the other billing readers see it."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.billing import taxes
from headend.billing.models import TaxRate
from headend.billing.tax_forms import TaxRateEndForm, TaxRateForm
from headend.core import clock
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.permissions import permission_required

FORM = "billing/tax/tax_form.html"


@permission_required("billing.read")
def tax_list_view(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    return render(request, "billing/tax/tax_list.html", {"states": taxes.tax_rates_by_state(on=today), "today": today})


@permission_required("tax.manage")
def tax_create_view(request: HttpRequest) -> HttpResponse:
    form = TaxRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rate = taxes.tax_rate_create(created_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{rate.jurisdiction}: {taxes.percent_text(rate.rate_percent)}% added.")
            return redirect("billing:tax_list")
    return render(request, FORM, {"form": form})


@permission_required("tax.manage")
def tax_edit_view(request: HttpRequest, tax_rate_id: int) -> HttpResponse:
    rate = taxes.tax_rate_get(tax_rate_id=tax_rate_id)
    form = TaxRateForm(request.POST or None, initial={key: getattr(rate, key) for key in taxes.RATE_FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            rate = taxes.tax_rate_update(tax_rate=rate, updated_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{rate.jurisdiction} saved.")
            return redirect("billing:tax_list")
    return render(request, FORM, {"form": form, "rate": rate, "end_form": _end_form(rate)})


@require_POST
@permission_required("tax.manage")
def tax_end_view(request: HttpRequest, tax_rate_id: int) -> HttpResponse:
    rate = taxes.tax_rate_get(tax_rate_id=tax_rate_id)
    end_form = TaxRateEndForm(request.POST)
    if end_form.is_valid():
        try:
            rate = taxes.tax_rate_end(tax_rate=rate, ended_by=request.user, **end_form.cleaned_data)
        except DomainError as exc:
            add_domain_error(end_form, exc)
        else:
            messages.success(request, f"{rate.jurisdiction} ends after {rate.effective_to:%Y-%m-%d}.")
            return redirect("billing:tax_list")
    form = TaxRateForm(initial={key: getattr(rate, key) for key in taxes.RATE_FIELDS})
    return render(request, FORM, {"form": form, "rate": rate, "end_form": end_form})


def _end_form(rate: TaxRate) -> TaxRateEndForm | None:
    """The form that ends an open-ended rate, or one that runs past today; None for others."""
    today = clock.today()
    if rate.effective_to is not None and rate.effective_to < today:
        return None
    return TaxRateEndForm(initial={"last_day": max(today, rate.effective_from)})
