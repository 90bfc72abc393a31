"""Binding a service to the network elements it rides on, by hand, from the service page (its
"Network elements" panel): the network team's ("topology.manage")."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from headend.core.errors import DomainError
from headend.core.permissions import permission_required
from headend.inventory import selectors, services
from headend.inventory.models import ServiceElement
from headend.network import topology_selectors


@require_POST
@permission_required("topology.manage")
def service_element_bind_view(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.service_get_for(user=request.user, service_id=service_id)
    name = request.POST.get("element", "").strip()[:100]
    element = topology_selectors.element_by_name(name=name)
    if element is None:
        messages.error(request, f"No element named {name!r} in the topology." if name else "Name the element.")
        return redirect(service)
    try:
        services.service_bind_element(
            service=service, element=element, source=ServiceElement.Source.STAFF, actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{service.number} rides on {element.name}.")
    return redirect(service)


@require_POST
@permission_required("topology.manage")
def service_element_unbind_view(request: HttpRequest, service_id: int, element_id: int) -> HttpResponse:
    service = selectors.service_get_for(user=request.user, service_id=service_id)
    element = topology_selectors.element_get(element_id=element_id)
    services.service_unbind_element(service=service, element=element, actor=request.user)
    messages.success(request, f"{service.number} no longer rides on {element.name}.")
    return redirect(service)
