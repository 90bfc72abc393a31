from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from headend.core import clock
from headend.core.errors import DomainError
from headend.core.http import HtmxHttpRequest
from headend.core.pagination import paginate
from headend.core.permissions import Role, has_role, role_required, staff_required
from headend.fulfillment import selectors as fulfillment_selectors
from headend.inventory import selectors, services
from headend.inventory.models import Service
from headend.ipam import selectors as ipam_selectors
from headend.provisioning import selectors as provisioning_selectors


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
    appointments = fulfillment_selectors.appointments_for_service(service_id=service.pk)
    sees_network = has_role(request.user, Role.PROVISIONING, Role.SUPPORT)
    context = {
        "service": service,
        "history": history,
        "appointments": appointments,
        "orders": selectors.service_orders(service=service),
        "addresses": ipam_selectors.allocation_list_for_service(service=service),
        "radius": provisioning_selectors.subscriber_for_service(service=service) if sees_network else None,
        "wifi_passphrase": _wifi_passphrase(service) if sees_network else "",
        "actions": fulfillment_selectors.service_actions_available(service=service)
        if has_role(request.user, *SERVICE_ACTIONS)
        else [],
    }
    return render(request, "inventory/service_detail.html", context)


SERVICE_ACTIONS = (Role.PROVISIONING, Role.SUPPORT, Role.BILLING)


def _wifi_passphrase(service: Service) -> str:
    """The passphrase the ACS gave the router (derived, never stored), for support to read out."""
    from headend.fulfillment.code_actions import ActionError
    from headend.provisioning import acs

    if "wifi_ssid" not in service.identifiers:
        return ""
    try:
        return acs.wifi_passphrase(service)
    except ActionError:
        return ""  # no Wi-Fi secret configured


@require_POST
@role_required(*SERVICE_ACTIONS)
def service_action_view(request: HttpRequest, service_id: int) -> HttpResponse:
    """Suspend, restore or disconnect: a work order whose code tasks change the network."""
    from headend.fulfillment import services as fulfillment_services

    service = selectors.service_get_for(user=request.user, service_id=service_id)
    try:
        work_order = fulfillment_services.service_action_request(
            service=service,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
            requested_by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(service)
    messages.success(request, f"{work_order.number} is under way: {work_order.name}.")
    return redirect(service)


# --- Board ------------------------------------------------------------------------------------

MOVE_SERVICES = (Role.PROVISIONING, Role.SUPPORT)


def _service_board_page(request: HttpRequest, params: Any, *, status: int = 200, error: str = "") -> HttpResponse:
    filters = fulfillment_selectors.BoardFilters.from_query(params)
    context = {
        "columns": selectors.service_board(user=request.user, filters=filters, at=clock.now()),
        "choices": selectors.service_board_choices(user=request.user),
        "filters": filters,
        "filter_pairs": filters.query_pairs(),
        "statuses": Service.Status.choices,
        "can_move": has_role(request.user, *MOVE_SERVICES),
        "error": error,
    }
    return render(request, "inventory/service_board.html", context, status=status)


@staff_required
def service_board_view(request: HttpRequest) -> HttpResponse:
    return _service_board_page(request, request.GET)


@require_POST
@role_required(*MOVE_SERVICES)
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
    filters = fulfillment_selectors.BoardFilters.from_query(request.POST)
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
