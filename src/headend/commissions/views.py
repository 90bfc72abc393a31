"""Staff pages of commissions: the statements (a rep their own; sales managers, finance and
directors every rep's), one rep's month with its lines and totals (and as a CSV download), the
plans finance keeps, accruing a month, and who is credited for an opportunity."""

import csv
import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from headend.core import clock
from headend.core.errors import DomainError, ValidationError
from headend.core.forms import add_domain_error
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required
from headend.core.user_files import content_disposition
from headend.crm import selectors as crm_selectors

from . import earnings, plans, selectors, splits
from .forms import AccrueForm, PlanForm, SplitForm, split_initial

PLAN_FORM = "commissions/plan_form.html"


def _month(year: int, month: int) -> dt.date:
    """The first day of a month named in a URL; 404 for one that is no month."""
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        raise Http404("No such month.")
    return dt.date(year, month, 1)


def statement_url(rep_id: int, month: dt.date) -> str:
    return reverse("commissions:statement_detail", args=[rep_id, month.year, month.month])


# --- Statements --------------------------------------------------------------------------------


def _list(request: HttpRequest, accrue_form: AccrueForm | None = None, status: int = 200) -> HttpResponse:
    every_rep = selectors.sees_every_rep(request.user)
    rep = request.GET.get("rep", "") if every_rep else ""
    can_manage = may(request.user, "commission.manage")
    if accrue_form is None and can_manage:
        accrue_form = AccrueForm(initial={"month": f"{earnings.previous_month(clock.today()):%Y-%m}"})
    context = {
        "every_rep": every_rep,
        "reps": selectors.reps_for(user=request.user) if every_rep else [],
        "rep": rep,
        "accrue_form": accrue_form,
        "accruals": selectors.last_accruals() if can_manage else [],
        **paginate(request, selectors.statement_list(user=request.user, rep_id=rep or None)),
    }
    return render(request, "commissions/statement_list.html", context, status=status)


@permission_required("commission.view")
def statement_list_view(request: HttpRequest) -> HttpResponse:
    return _list(request)


@permission_required("commission.view")
def statement_detail_view(request: HttpRequest, rep_id: int, year: int, month: int) -> HttpResponse:
    statement = selectors.statement_get_for(user=request.user, rep_id=rep_id, month=_month(year, month))
    return render(request, "commissions/statement_detail.html", {"statement": statement})


@permission_required("commission.view")
def statement_csv_view(request: HttpRequest, rep_id: int, year: int, month: int) -> HttpResponse:
    """The statement as a CSV download (never shown inline): one row per line, then the total."""
    statement = selectors.statement_get_for(user=request.user, rep_id=rep_id, month=_month(year, month))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(
        f"commissions-{statement.rep.username}-{statement.month:%Y-%m}.csv"
    )
    response["X-Content-Type-Options"] = "nosniff"
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(
        ["Date", "Kind", "Service", "Account", "Product", "Basis", "Rate", "MRR", "Share %", "Amount", "Currency"]
    )
    for line in statement.lines:
        service = line.deal.service
        writer.writerow(
            [
                line.earned_on.isoformat(),
                line.get_kind_display(),
                service.number,
                _cell(service.account.name),
                _cell(service.product_version.product.name),
                line.get_basis_display(),
                f"{line.rate:.2f}",
                f"{line.basis_amount:.2f}",
                f"{line.share_percent:.2f}",
                f"{line.amount:.2f}",
                line.currency,
            ]
        )
    for currency in statement.currencies:
        writer.writerow(["", "Total", "", "", "", "", "", "", "", f"{statement.totals[currency]:.2f}", currency])
    return response


def _cell(text: str) -> str:
    """A name as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_POST
@permission_required("commission.manage")
def accrue_view(request: HttpRequest) -> HttpResponse:
    form = AccrueForm(request.POST)
    if form.is_valid():
        try:
            month = dt.date.fromisoformat(f"{form.cleaned_data['month']}-01")
        except ValueError:
            form.add_error("month", "Enter a month such as 2026-03.")
        else:
            try:
                made = earnings.accrue(month=month, accrued_by=request.user)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"{month:%B %Y}: {len(made)} new recurring commission lines.")
                return redirect("commissions:statement_list")
    return _list(request, form, status=400)


# --- Plans ------------------------------------------------------------------------------------


@permission_required("commission.view")
def plan_list_view(request: HttpRequest) -> HttpResponse:
    every = plans.plan_list()
    in_force = {plan.pk for plan in plans.plans_in_force(on=[clock.today()])}
    return render(request, "commissions/plan_list.html", {"plans": every, "in_force": in_force})


@permission_required("commission.manage")
def plan_create_view(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None, initial={"effective_from": clock.today(), "clawback_months": "0"})
    if request.method == "POST" and form.is_valid():
        try:
            plan = plans.plan_create(created_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Plan “{plan.name}” added.")
            return redirect("commissions:plan_list")
    return render(request, PLAN_FORM, {"form": form}, status=400 if form.errors else 200)


@permission_required("commission.manage")
def plan_edit_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = plans.plan_get(plan_id=plan_id)
    form = PlanForm(request.POST or None, initial={key: getattr(plan, key) for key in plans.FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            plan = plans.plan_update(plan=plan, updated_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Plan “{plan.name}” saved.")
            return redirect("commissions:plan_list")
    in_use = plan.deals.exists()
    return render(
        request, PLAN_FORM, {"form": form, "plan": plan, "in_use": in_use}, status=400 if form.errors else 200
    )


# --- Who is credited for an opportunity ---------------------------------------------------------


@permission_required("commission.split")
def opportunity_splits_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Set the reps' shares of an opportunity (the form also sits on the opportunity page)."""
    opportunity = crm_selectors.opportunity_get_for(user=request.user, opportunity_id=opportunity_id)
    form = SplitForm(request.POST or None, initial=split_initial(opportunity))
    if request.method == "POST" and form.is_valid():
        shares, rows = form.shares()
        try:
            splits.splits_set(opportunity=opportunity, shares=shares, set_by=request.user)
        except ValidationError as exc:
            if exc.field and "_" in exc.field and exc.field.rsplit("_", 1)[1].isdigit():
                name, index = exc.field.rsplit("_", 1)
                exc.field = f"{name}_{rows[int(index)]}"
            add_domain_error(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Commission split saved." if shares else "Credited to the quote's owner again.")
            return redirect(opportunity)
    context = {
        "opportunity": opportunity,
        "form": form,
        "default_rep": splits.default_rep(opportunity=opportunity),
    }
    return render(request, "commissions/split_form.html", context, status=400 if form.errors else 200)
