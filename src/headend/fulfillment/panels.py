"""What fulfillment shows on the pages of the apps below it (core/panels.py): work orders on the
account, slip and appointments on the order, service actions and appointments on the service,
and the schedule a work-order template gives (the catalog's template editor)."""

from typing import Any

from django.http import HttpRequest

from headend.core import clock, panels
from headend.core.permissions import may
from headend.crm.models import Account
from headend.fulfillment import selectors
from headend.inventory.models import Service
from headend.orders.models import Order


@panels.register("account.sections", template="fulfillment/panels/account_work_orders.html", order=40)
def account_work_orders(request: HttpRequest, account: Account) -> dict[str, Any]:
    return {"work_orders": selectors.work_order_list(user=request.user, account_id=account.pk)}


@panels.register("order.cards", template="fulfillment/panels/order_slip.html", order=10)
def order_slip(request: HttpRequest, order: Order) -> dict[str, Any]:
    return {"slip": selectors.slip_label(planned=order.planned_go_live, forecast=order.forecast_go_live)}


@panels.register("order.sections", template="fulfillment/panels/order_appointments.html", order=10)
def order_appointments(request: HttpRequest, order: Order) -> dict[str, Any]:
    task_ids = selectors.task_ids_for_order(order_id=order.pk)
    return {"appointments": selectors.appointment_for(task_ids=task_ids)}


@panels.register("service.sections", template="fulfillment/panels/service_actions.html", order=10)
def service_actions(request: HttpRequest, service: Service) -> dict[str, Any] | None:
    if not may(request.user, "service.action"):
        return None
    actions = selectors.service_actions_available(service=service)
    return {"service": service, "actions": actions} if actions else None


@panels.register("service.sections", template="fulfillment/panels/service_appointments.html", order=20)
def service_appointments(request: HttpRequest, service: Service) -> dict[str, Any] | None:
    appointments = selectors.appointments_for_service(service_id=service.pk)
    return {"appointments": appointments} if appointments else None


@panels.register("catalog.template_preview", template="fulfillment/panels/template_preview.html")
def template_preview(request: HttpRequest, specs: list[Any]) -> dict[str, Any] | None:
    """An order placed now: when each of the template's tasks (catalog TaskSpecs) would run."""
    start = selectors.provider_calendar().next_working_instant(clock.now())
    preview, go_live = selectors.template_preview(tasks=specs, start=start)
    return {"preview": preview, "go_live": go_live} if preview else None
