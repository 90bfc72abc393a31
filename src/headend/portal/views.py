"""The portal's pages for a signed-in customer. Every record is read through the customer's own
account (`request.customer.account`): another customer's id is a 404, never a peek."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from headend.core import clock

from . import auth, selectors


@auth.portal_required()
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The customer's home: services and their status, open orders with their forecast and
    visit, quotes waiting, and (for a login that sees bills) the balance and next invoice."""
    customer: auth.Customer = request.customer  # type: ignore[attr-defined]
    context = {"customer": customer, "board": selectors.dashboard_of(customer.login, today=clock.today())}
    return render(request, "portal/dashboard.html", context)
