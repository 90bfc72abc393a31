"""The self-service change pages of a service: choose, review the exact money effect, confirm.

Each page takes the service through the signed-in customer's account (another customer's id is
a 404 and writes nothing) and needs a login that may order (a billing login sees 404). A POST
with `step=review` shows the figures; `step=confirm` checks everything again and places the
order (or the hold, or the new visit time). Bad input comes back on the form, nothing written."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from headend.core import clock
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.inventory.models import Service
from headend.orders.models import Order

from . import auth, changes, selectors
from .change_forms import AddonForm, MoveForm, PlanForm, VisitForm

REVIEW_PAGE = "portal/changes/review.html"


def _service(request: HttpRequest, service_id: int, *, addon_too: bool = False) -> tuple[auth.Customer, Service]:
    """The customer's service; an add-on only where it may change alone (`addon_too`: cancel).
    A plan change, move, hold or add-on is the base service's, never an add-on's: 404."""
    customer: auth.Customer = request.customer  # type: ignore[attr-defined]
    service = selectors.service_get_for(account=customer.account, service_id=service_id)
    if service.base_service_id is not None and not addon_too:
        raise Http404("An add-on changes with the service it rides on.")
    return customer, service


def _placed(request: HttpRequest, order: Order, words: str) -> HttpResponseBase:
    messages.success(request, f"{words}: order {order.number} is placed. We will email you as it goes.")
    return redirect("portal:order", order_id=order.pk)


def _step(request: HttpRequest) -> str:
    return request.POST.get("step", "") if request.method == "POST" else ""


def _refused(request: HttpRequest, service: Service, exc: DomainError) -> HttpResponseBase:
    messages.error(request, exc.message)
    return redirect("portal:service", service_id=service.pk)


# --- Plan change ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@auth.portal_required(order=True)
def plan_view(request: HttpRequest, service_id: int) -> HttpResponseBase:
    """The plans the service can move to; then the review with the proration; then the order."""
    customer, service = _service(request, service_id)
    form = PlanForm(request.POST or None)
    step = _step(request)
    if step and form.is_valid():
        try:
            review = changes.plan_review(service=service, version_id=form.cleaned_data["plan"])
            if step == "confirm":
                order = changes.change_order(
                    customer=customer, review=review, expected_effect=request.POST.get("expected_effect")
                )
                return _placed(request, order, f"Your change to {review.version.product.name}")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return render(request, REVIEW_PAGE, _review_context(review, form, "portal:change_plan"))
    context = {"service": service, "form": form, "options": changes.plan_options(service=service)}
    return render(request, "portal/changes/plan.html", context, status=400 if form.errors else 200)


def _review_context(review: changes.ChangeReview, form: forms.Form, action: str) -> dict[str, Any]:
    return {"service": review.service, "review": review, "form": form, "action": action}


# --- Move ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@auth.portal_required(order=True)
def move_view(request: HttpRequest, service_id: int) -> HttpResponseBase:
    """The new address, checked for coverage; the review with the move fee; the order."""
    customer, service = _service(request, service_id)
    form = MoveForm(request.POST or None)
    step = _step(request)
    if step and form.is_valid():
        try:
            review = changes.move_review(service=service, address=form.cleaned_data)
            if step == "confirm":
                order = changes.change_order(
                    customer=customer, review=review, expected_effect=request.POST.get("expected_effect")
                )
                return _placed(request, order, "Your move")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return render(request, REVIEW_PAGE, _review_context(review, form, "portal:change_move"))
    return render(
        request, "portal/changes/move.html", {"service": service, "form": form}, status=400 if form.errors else 200
    )


# --- Cancel -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@auth.portal_required(order=True)
def cancel_view(request: HttpRequest, service_id: int) -> HttpResponseBase:
    """What cancelling costs (the early-termination fee and the credit); then the order."""
    customer, service = _service(request, service_id, addon_too=True)
    form = forms.Form(request.POST or None)
    try:
        review = changes.cancel_review(service=service)
        if _step(request) == "confirm":
            order = changes.change_order(
                customer=customer, review=review, expected_effect=request.POST.get("expected_effect")
            )
            return _placed(request, order, "Your cancellation")
    except DomainError as exc:
        return _refused(request, service, exc)
    return render(request, REVIEW_PAGE, _review_context(review, form, "portal:change_cancel"))


# --- Add-ons ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@auth.portal_required(order=True)
def addon_view(request: HttpRequest, service_id: int) -> HttpResponseBase:
    customer, service = _service(request, service_id)
    form = AddonForm(request.POST or None)
    step = _step(request)
    if step and form.is_valid():
        try:
            review = changes.addon_review(service=service, version_id=form.cleaned_data["addon"])
            if step == "confirm":
                order = changes.addon_order(customer=customer, review=review)
                return _placed(request, order, f"{review.offer.version.product.name}")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return render(
                request, "portal/changes/addon_review.html", {"service": service, "review": review, "form": form}
            )
    context = {"service": service, "form": form, "offers": changes.addon_options(service=service)}
    return render(request, "portal/changes/addon.html", context, status=400 if form.errors else 200)


# --- Vacation hold ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@auth.portal_required(order=True)
def hold_view(request: HttpRequest, service_id: int) -> HttpResponseBase:
    """Put the service on hold (with the hold rate shown) or, while on hold, end it."""
    _customer, service = _service(request, service_id)
    step = _step(request)
    try:
        if changes.on_vacation(service):
            if step == "end":
                changes.hold_end(service=service)
                messages.success(request, "Your service is being turned back on.")
                return redirect("portal:service", service_id=service.pk)
            return render(request, "portal/changes/hold.html", {"service": service, "on_hold": True})
        review = changes.hold_review(service=service)
        if step == "confirm":
            changes.hold_request(service=service)
            messages.success(request, "Your service is being put on hold. Come back here to end the hold.")
            return redirect("portal:service", service_id=service.pk)
    except DomainError as exc:
        return _refused(request, service, exc)
    return render(request, "portal/changes/hold.html", {"service": service, "review": review})


# --- Rescheduling the visit -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@auth.portal_required(order=True)
def visit_view(request: HttpRequest, service_id: int) -> HttpResponseBase:
    _customer, service = _service(request, service_id)
    form = VisitForm(request.POST or None)
    try:
        if request.method == "POST" and form.is_valid():
            try:
                appointment = changes.visit_move(service=service, start=form.cleaned_data["start"])
            except DomainError as exc:
                if exc.field != "start":
                    raise
                add_domain_error(form, exc)
            else:
                when = appointment.start.astimezone(clock.provider_zone())
                messages.success(request, f"Your visit is now {when:%a %b %-d, %-I:%M %p}.")
                return redirect("portal:service", service_id=service.pk)
        visit = changes.visit_options(service=service)
    except DomainError as exc:
        return _refused(request, service, exc)
    context = {"service": service, "form": form, "visit": visit}
    return render(request, "portal/changes/visit.html", context, status=400 if form.errors else 200)
