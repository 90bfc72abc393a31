"""Bill run pages: the runs so far with the form that starts one, and one run's progress (the
page polls itself while the run works) and what it did for each billing account."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from headend.billing import runs
from headend.billing.forms import BillRunForm
from headend.billing.models import BillRun, BillRunResult
from headend.core import clock
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.http import HtmxHttpRequest
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required

LIST = "billing/bill_run_list.html"
DETAIL = "billing/bill_run_detail.html"


def _list(request: HttpRequest, form: BillRunForm | None) -> HttpResponse:
    can_run = may(request.user, "billing.run")
    if form is None and can_run:
        form = BillRunForm(initial={"as_of": clock.today()})
    context = {"form": form, "can_run": can_run, **paginate(request, BillRun.objects.select_related("started_by"))}
    return render(request, LIST, context)


@permission_required("billing.read")
def bill_run_list_view(request: HttpRequest) -> HttpResponse:
    return _list(request, None)


@require_POST
@permission_required("billing.run")
def bill_run_start_view(request: HttpRequest) -> HttpResponse:
    form = BillRunForm(request.POST)
    if form.is_valid():
        try:
            run = runs.bill_run_start(as_of=form.cleaned_data["as_of"], started_by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Bill run as of {run.as_of:%Y-%m-%d} started: {run.accounts} accounts due.")
            return redirect(run)
    return _list(request, form)


@permission_required("billing.read")
def bill_run_detail_view(request: HtmxHttpRequest, bill_run_id: int) -> HttpResponse:
    run = get_object_or_404(BillRun.objects.select_related("started_by"), pk=bill_run_id)
    results = (
        BillRunResult.objects.filter(run=run)
        .select_related("billing_account__account", "invoice")
        .order_by("outcome", "billing_account_id")
    )
    context = {
        "run": run,
        "progress": runs.progress(run),
        "running": run.status == BillRun.Status.RUNNING,
        "failed": [result for result in results if result.outcome == BillRunResult.Outcome.FAILED],
        "invoiced": [result for result in results if result.outcome == BillRunResult.Outcome.INVOICED],
        "nothing": [result for result in results if result.outcome == BillRunResult.Outcome.NOTHING],
    }
    return render(request, f"{DETAIL}#progress" if request.htmx else DETAIL, context)
