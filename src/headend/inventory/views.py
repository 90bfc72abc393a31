from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from headend.core import clock, events, panels
from headend.core.boards import BoardFilters
from headend.core.errors import DomainError
from headend.core.http import HtmxHttpRequest
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required, staff_required
from headend.inventory import availability, selectors, services
from headend.inventory.models import Service


@staff_required
def service_list_view(request: HttpRequest) -> HttpResponse:
    query, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    services = selectors.service_list(
        user=request.user, query=query, status=status if status in Service.Status.values else ""
    )
    context = {"query": query, "status": status, "statuses": Service.Status.choices, **paginate(request, services)}
    return render(request, "inventory/service_list.html", context)


@staff_required
def service_detail_view(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_get_for(user=request.user, service_id=service_id)
    history = service.history.select_related("history_user").order_by("-history_date")[:50]
    context = {
        "service": service,
        "history": history,
        "orders": selectors.service_orders(service=service),
        # The network's view (RADIUS, Wi-Fi, addresses), actions and appointments: the apps
        # above draw them (their panels.py).
        "network_panels": panels.render("service.network", request=request, obj=service),
        "section_panels": panels.render("service.sections", request=request, obj=service),
        "availability": availability.service_availability(service=service),
        "activity": events.activity(service),
    }
    return render(request, "inventory/service_detail.html", context)


# --- Board ------------------------------------------------------------------------------------


def _service_board_page(request: HttpRequest, params: Any, *, status: int = 200, error: str = "") -> HttpResponse:
    filters = BoardFilters.from_query(params)
    context = {
        "columns": selectors.service_board(user=request.user, filters=filters, at=clock.now()),
        "choices": selectors.service_board_choices(user=request.user),
        "filters": filters,
        "filter_pairs": filters.query_pairs(),
        "statuses": Service.Status.choices,
        "can_move": may(request.user, "service.action"),
        "error": error,
    }
    return render(request, "inventory/service_board.html", context, status=status)


@staff_required
def service_board_view(request: HttpRequest) -> HttpResponse:
    return _service_board_page(request, request.GET)


@require_POST
@permission_required("service.action")
def service_move_view(request: HtmxHttpRequest, service_id: int) -> HttpResponse:
    """A card dropped in another column (the board's script) or its "Move to" form. A refused
    move answers 409 with the reason: as text to the script, on the board without JavaScript."""
    service = selectors.service_get_for(user=request.user, service_id=service_id)
    try:
        service = services.service_move(
            service=service,
            to=request.POST.get("to", ""),
            moved_by=request.user,
            reason=request.POST.get("reason", "")[:200],
        )
    except DomainError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
        return _service_board_page(request, request.POST, status=409, error=exc.message)
    filters = BoardFilters.from_query(request.POST)
    if not request.htmx:
        messages.success(request, f"{service.number} is {service.get_status_display().lower()}.")
        query = urlencode(filters.query_pairs())
        return redirect(f"{reverse('inventory:service_board')}{'?' if query else ''}{query}")
    context = {
        "card": selectors.service_board_card(user=request.user, service_id=service.pk, at=clock.now()),
        "filter_pairs": filters.query_pairs(),
        "statuses": Service.Status.choices,
        "can_move": True,
    }
    return render(request, "inventory/service_board.html#card", context)
