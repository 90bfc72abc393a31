"""The portal's pages for a signed-in customer. Every record is read through the customer's own
account (`request.customer.account`): another customer's id is a 404, never a peek."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import auth


@auth.portal_required()
def dashboard_view(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dashboard.html", {"customer": request.customer})  # type: ignore[attr-defined]
