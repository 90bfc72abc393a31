"""Pools and services to allocate addresses to."""

from typing import Any

from headend.catalog.code_actions import ActionContext
from headend.catalog.services import TaskSpec
from headend.inventory.models import Service
from headend.ipam import services
from headend.ipam.models import IPPool
from tests.factories import make_product, make_quote


def make_pool(prefix: str = "100.64.0.0/29", allocation_length: int = 32, **overrides: Any) -> IPPool:
    values: dict[str, Any] = {"name": f"pool {prefix}", "created_by": None, **overrides}
    return services.pool_create(prefix=prefix, allocation_length=allocation_length, **values)


def make_services(count: int, **product: Any) -> list[Service]:
    """`count` services of one accepted order on one plan (fiber unless told), each at its own
    location in Eastport, being turned up: what a code task allocates addresses for."""
    quote = make_quote(status="accepted", lines=count, version=make_product(tasks=[TaskSpec("Turn up")], **product))
    return list(Service.objects.filter(order_line__order__quote=quote).order_by("pk"))


def action_context(service: Service, **params: Any) -> ActionContext:
    """The context the worker hands a code task of the service's work order."""
    task = service.order_line.work_order.tasks.first()
    return ActionContext(task=task, params=params)
