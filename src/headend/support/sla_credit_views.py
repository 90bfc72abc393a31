"""SLA credit pages: the credits proposed after outages, filtered by status, each approved
(billing books it) or rejected by billing or finance."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from headend.core.errors import DomainError
from headend.core.money import format_amount
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required
from headend.support import sla_credits
from headend.support.models import SlaCredit

ALL = "all"


def _outage_url(outage_id: int) -> str:
    """The outage's page (network's), or "" while that page does not exist."""
    try:
        return reverse("network:outage_detail", args=[outage_id])
    except NoReverseMatch:
        return ""


@permission_required("billing.read")
def sla_credit_list_view(request: HttpRequest) -> HttpResponse:
    """Proposed credits first (the default filter), or those of another status, or all."""
    status = request.GET.get("status", SlaCredit.Status.PROPOSED)
    if status != ALL and status not in SlaCredit.Status.values:
        status = SlaCredit.Status.PROPOSED
    page = paginate(request, sla_credits.sla_credit_list(status="" if status == ALL else status))
    rows = [{"credit": credit, "outage_url": _outage_url(credit.outage_id)} for credit in page["items"]]
    context = {
        **page,
        "rows": rows,
        "status": status,
        "statuses": [*SlaCredit.Status.choices, (ALL, "All")],
        "can_decide": may(request.user, "sla_credit.decide"),
    }
    return render(request, "support/sla_credit_list.html", context)


@require_POST
@permission_required("sla_credit.decide")
def sla_credit_decide_view(request: HttpRequest, credit_id: int) -> HttpResponse:
    """Approve (billing books the credit) or reject one credit; back to the list it came from."""
    credit = sla_credits.sla_credit_get(credit_id=credit_id)
    decision = request.POST.get("decision", "")
    try:
        if decision == "approve":
            credit = sla_credits.sla_credit_approve(credit=credit, decided_by=request.user)
        elif decision == "reject":
            credit = sla_credits.sla_credit_reject(credit=credit, decided_by=request.user)
        else:
            messages.error(request, "Choose approve or reject.")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        what = f"Credit of {format_amount(credit.amount, credit.currency)} to {credit.service.number}"
        if decision == "approve" and credit.status == SlaCredit.Status.APPLIED:
            messages.success(request, f"{what} booked: {credit.billing_reference}.")
        elif decision == "approve":
            messages.success(request, f"{what} approved: the external biller keeps the book, credit it there.")
        elif decision == "reject":
            messages.success(request, f"{what} rejected.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("support:sla_credit_list")
    return redirect(back)
