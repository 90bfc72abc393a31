from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from headend.core.pagination import paginate
from headend.core.permissions import staff_required
from headend.inventory import selectors
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
    return render(request, "inventory/service_detail.html", {"service": service, "history": history})
