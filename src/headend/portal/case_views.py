"""The customer's support cases in the portal: open one on a service, follow it, reply.

A case comes through the signed-in customer's account (portal/selectors.py): another
customer's case, service or attachment id is a 404 and changes nothing. The customer sees the
replies and what they wrote, never staff's internal notes or their attachments. Any login of
the account may open and follow cases (a billing contact asks about a bill too)."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from headend.core import user_files
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.support import cases
from headend.support.models import Case, CaseNote

from . import auth, selectors
from .case_forms import CaseForm, ReplyForm


def _customer(request: HttpRequest) -> auth.Customer:
    return request.customer  # type: ignore[attr-defined]


@auth.portal_required()
def cases_view(request: HttpRequest) -> HttpResponse:
    account = _customer(request).account
    return render(request, "portal/cases/case_list.html", {"cases": selectors.cases_of(account)})


@require_http_methods(["GET", "POST"])
@auth.portal_required()
def case_new_view(request: HttpRequest) -> HttpResponseBase:
    """A new case, on one of the account's services when it is about one (`?service=` picks it)."""
    customer = _customer(request)
    services = list(selectors.services_of(customer.account, current=False))
    form = CaseForm(
        request.POST or None,
        request.FILES or None,
        services=services,
        initial={"service": request.GET.get("service", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service = (
                selectors.service_get_for(account=customer.account, service_id=data["service"])
                if data["service"]
                else None
            )
            with transaction.atomic():
                case = cases.case_open(
                    account=customer.account,
                    service=service,
                    contact=customer.contact,
                    type=data["type"],
                    channel=Case.Channel.PORTAL,
                    subject=data["subject"],
                    description=data["description"],
                )
                for upload in data["attachments"]:
                    cases.case_attach(case=case, upload=upload)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Thank you: your case is {case.reference}. We will reply here and by email.")
            return redirect("portal:case", case_id=case.pk)
    return render(request, "portal/cases/case_new.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@auth.portal_required()
def case_view(request: HttpRequest, case_id: int) -> HttpResponseBase:
    """A case with its replies and the customer's messages; the form adds one."""
    customer = _customer(request)
    case = selectors.case_get_for(account=customer.account, case_id=case_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            cases.case_note_add(
                case=case,
                kind=CaseNote.Kind.CUSTOMER,
                body=form.cleaned_data["body"],
                author_name=str(customer.contact),
                channel=Case.Channel.PORTAL,
                uploads=form.cleaned_data["attachments"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Your reply is on the case.")
            return redirect("portal:case", case_id=case.pk)
    context = {"case": case, "notes": selectors.case_notes_for_customer(case), "form": form}
    return render(request, "portal/cases/case_detail.html", context, status=400 if form.errors else 200)


@auth.portal_required()
def attachment_view(request: HttpRequest, case_id: int, attachment_id: int) -> HttpResponseBase:
    """A file on the customer's case, as a download (never shown inline)."""
    case = selectors.case_get_for(account=_customer(request).account, case_id=case_id)
    attachment = selectors.case_attachment_for_customer(case=case, attachment_id=attachment_id)
    return user_files.download_response(
        attachment.file.open("rb"), filename=attachment.name, kind=user_files.ATTACHMENT
    )
