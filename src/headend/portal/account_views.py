"""The customer's own records in the portal: services, orders, quotes (to compare and sign) and,
for a business account's admins, its contacts and their logins.

Every record comes through the signed-in customer's account (portal/selectors.py): another
customer's id is a 404 and changes nothing. Signing a quote counts as ordering
(`portal_required(order=True)`: a billing login sees 404); managing logins is for admins."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.contracts import services as contracts_services
from headend.contracts import tokens as contracts_tokens
from headend.core import clock
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.quoting.models import Quote
from headend.usage import panels as usage_panels

from . import auth, invites, logins, selectors
from .models import PortalLogin


def _customer(request: HttpRequest) -> auth.Customer:
    return request.customer  # type: ignore[attr-defined]


def admin_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A signed-in admin of the account; any other login sees 404, as for another's records."""

    @auth.portal_required()
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if _customer(request).login.role != PortalLogin.Role.ADMIN:
            raise Http404("Your login does not reach this page.")
        return view(request, *args, **kwargs)

    return wrapped


# --- Services ---------------------------------------------------------------------------------


@auth.portal_required()
def services_view(request: HttpRequest) -> HttpResponse:
    """Every service the account has had, live ones first as the dashboard lists them."""
    services = selectors.services_of(_customer(request).account, current=False)
    return render(request, "portal/services/service_list.html", {"services": services})


@auth.portal_required()
def service_view(request: HttpRequest, service_id: int) -> HttpResponse:
    customer = _customer(request)
    service = selectors.service_get_for(account=customer.account, service_id=service_id)
    page = selectors.service_page(service, may_order=customer.login.may_order)
    # This cycle's data usage, as staff see it: the chart, the cap and what the cap does.
    usage = usage_panels.cycle_summary(service) or {}
    return render(request, "portal/services/service_detail.html", {"page": page, **usage})


# --- Orders -----------------------------------------------------------------------------------


@auth.portal_required()
def orders_view(request: HttpRequest) -> HttpResponse:
    rows = selectors.order_rows(selectors.orders_of(_customer(request).account))
    return render(request, "portal/orders/order_list.html", {"rows": rows})


@auth.portal_required()
def order_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for(account=_customer(request).account, order_id=order_id)
    (row,) = selectors.order_rows([order])
    return render(request, "portal/orders/order_detail.html", {"row": row, "order": order})


# --- Quotes -----------------------------------------------------------------------------------


@auth.portal_required()
def quotes_view(request: HttpRequest) -> HttpResponse:
    account = _customer(request).account
    context = {
        "quotes": selectors.quotes_of(account),
        "waiting": set(selectors.quotes_waiting(account, today=clock.today()).values_list("pk", flat=True)),
    }
    return render(request, "portal/quotes/quote_list.html", context)


@auth.portal_required()
def quote_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    """A quote with its lines and versions; `?compare=<id>` sets another version beside it."""
    customer = _customer(request)
    quote = selectors.quote_get_for(account=customer.account, quote_id=quote_id)
    versions = selectors.quote_versions(quote)
    other = next((v for v in versions if str(v.pk) == request.GET.get("compare") and v.pk != quote.pk), None)
    waiting = selectors.quotes_waiting(customer.account, today=clock.today()).filter(pk=quote.pk).exists()
    context = {
        "quote": quote,
        "versions": versions,
        "other": other,
        "compare_rows": selectors.quote_compare(quote=quote, other=other) if other else [],
        "may_sign": waiting and customer.login.may_order,
        "waiting": waiting,
    }
    return render(request, "portal/quotes/quote_detail.html", context)


@require_POST
@auth.portal_required(order=True)
def quote_sign_view(request: HttpRequest, quote_id: int) -> HttpResponseBase:
    """To the e-signature page of the presented quote (where it is accepted or declined): the
    link staff emailed, or one made now (contracts sends it to the account's email as well)."""
    customer = _customer(request)
    quote = selectors.quote_get_for(account=customer.account, quote_id=quote_id)
    if not selectors.quotes_waiting(customer.account, today=clock.today()).filter(pk=quote.pk).exists():
        messages.error(request, f"Quote {quote.number} is {_quote_state(quote)}: there is nothing to sign.")
        return redirect("portal:quote", quote_id=quote.pk)
    path = selectors.signing_path(quote)
    if not path:
        try:
            link = contracts_services.signing_link_send(quote=quote, sent_by=None, resend=False)
        except contracts_services.DocumentPending:
            messages.info(request, "The quote's document is being prepared: try again in a minute.")
            return redirect("portal:quote", quote_id=quote.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("portal:quote", quote_id=quote.pk)
        if link.document is None:  # the worker stores the PDF first
            messages.info(request, "The quote's document is being prepared: try again in a minute.")
            return redirect("portal:quote", quote_id=quote.pk)
        path = contracts_tokens.path(link.document, expires_at=link.expires_at, link_id=link.pk)
    return redirect(path)


def _quote_state(quote: Quote) -> str:
    if quote.status == Quote.Status.PRESENTED:
        return "past its last valid day"
    return quote.get_status_display().lower()


# --- Contacts and logins (admins) -------------------------------------------------------------


class InviteForm(forms.Form):
    first_name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    last_name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(
        choices=PortalLogin.Role.choices,
        initial=PortalLogin.Role.TECHNICAL,
        help_text="Admin: everything, and the other logins. Billing: bills only, no orders. "
        "Technical: services, orders and cases, no bills.",
    )


CONTACTS_PAGE = "portal/contacts/contact_list.html"


def _contacts_context(request: HttpRequest, form: InviteForm) -> dict[str, Any]:
    customer = _customer(request)
    return {"contacts": selectors.contacts_of(customer.account), "form": form, "me": customer.login}


@admin_required
def contacts_view(request: HttpRequest) -> HttpResponse:
    return render(request, CONTACTS_PAGE, _contacts_context(request, InviteForm()))


@require_POST
@admin_required
def contact_invite_view(request: HttpRequest) -> HttpResponse:
    """Invite a person: a contact with a login in the chosen role; they get a link to choose a password."""
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            login = invites.login_invite(by=_customer(request).login, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Invitation sent to {login.email}.")
            return redirect("portal:contacts")
    return render(request, CONTACTS_PAGE, _contacts_context(request, form), status=400)


@require_POST
@admin_required
def login_deactivate_view(request: HttpRequest, login_id: int) -> HttpResponse:
    customer = _customer(request)
    login = selectors.login_get_for(account=customer.account, login_id=login_id)
    try:
        logins.login_deactivate(login=login, by=customer.login)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{login.email} can no longer sign in.")
    return redirect("portal:contacts")
