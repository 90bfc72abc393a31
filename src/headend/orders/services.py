"""Write use cases for orders: creation from an accepted quote, decomposition, roll-up."""

import datetime as dt
from typing import Any

from django.db import transaction

from headend.core import events
from headend.crm import services as crm_services
from headend.fulfillment import services as fulfillment_services
from headend.inventory import services as inventory_services
from headend.orders.models import Order, OrderLine


def order_create_from_quote(*, quote: Any, at: dt.datetime) -> Order:
    """The order for an accepted quote: one line per quote line, then decomposed into services
    and work orders. Runs inside `quote_accept`'s transaction."""
    order = Order.objects.create(account_id=quote.account_id, quote=quote, currency=quote.currency, created_at=at)
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            position=line.position,
            action=line.action,
            quote_line=line,
            location_id=line.location_id,
            product_version_id=line.product_version_id,
            term_months=line.term_months,
            quantity=line.quantity,
            mrc_amount=line.mrc_amount,
            nrc_amount=line.nrc_amount,
        )
        for line in quote.lines.order_by("position")
    )
    crm_services.account_activate(account=quote.account)
    events.emit("order.created", subject=order, data={"quote_id": quote.pk, "lines": len(lines)})
    order_decompose(order=order, at=at)
    return order


def order_decompose(*, order: Order, at: dt.datetime) -> Order:
    """Per line: a pending service in inventory and a work order from the product's template."""
    lines = order.lines.select_related("order", "location", "product_version__product").order_by("position")
    templates: dict = {}
    for line in lines:
        service = inventory_services.service_create_pending(order_line=line, at=at)
        fulfillment_services.work_order_create(order_line=line, service=service, at=at, templates=templates)
    return order


def order_line_start(*, order_line: OrderLine, at: dt.datetime) -> OrderLine:
    """Work began on a line (called by fulfillment); the order follows."""
    line = OrderLine.objects.select_for_update().get(pk=order_line.pk)
    if line.status == OrderLine.Status.ACKNOWLEDGED:
        line.status = OrderLine.Status.IN_PROGRESS
        line.save(update_fields=["status"])
        _roll_up(line.order_id, at)
    return line


def order_line_complete(*, order_line: OrderLine, at: dt.datetime) -> OrderLine:
    """The line's work order is done (called by fulfillment); the order follows."""
    line = OrderLine.objects.select_for_update().get(pk=order_line.pk)
    line.check_transition(OrderLine.Status.COMPLETED)
    line.status, line.completed_at = OrderLine.Status.COMPLETED, at
    line.save(update_fields=["status", "completed_at"])
    _roll_up(line.order_id, at)
    return line


def order_status_from_lines(statuses: list[str]) -> str:
    """An order's status as the roll-up of its lines' statuses."""
    S = OrderLine.Status
    if not statuses:
        return Order.Status.ACKNOWLEDGED
    finished = {S.COMPLETED, S.FAILED, S.CANCELLED}
    if all(status in finished for status in statuses):
        if all(status == S.CANCELLED for status in statuses):
            return Order.Status.CANCELLED
        if all(status in (S.COMPLETED, S.CANCELLED) for status in statuses):
            return Order.Status.COMPLETED
        if any(status == S.COMPLETED for status in statuses):
            return Order.Status.PARTIAL
        return Order.Status.FAILED
    if all(status == S.ACKNOWLEDGED for status in statuses):
        return Order.Status.ACKNOWLEDGED
    return Order.Status.IN_PROGRESS


def _roll_up(order_id: int, at: dt.datetime) -> Order:
    order = Order.objects.select_for_update().get(pk=order_id)
    status = order_status_from_lines(list(order.lines.values_list("status", flat=True)))
    if status == order.status:
        return order
    order.check_transition(status)
    order.status = status
    if status == Order.Status.IN_PROGRESS and order.started_at is None:
        order.started_at = at
    if status in (Order.Status.COMPLETED, Order.Status.PARTIAL, Order.Status.FAILED, Order.Status.CANCELLED):
        order.completed_at = at
        order.started_at = order.started_at or at
    order.save(update_fields=["status", "started_at", "completed_at"])
    events.emit(f"order.{status}", subject=order)
    return order


@transaction.atomic
def order_refresh(*, order: Order, at: dt.datetime) -> Order:
    return _roll_up(order.pk, at)
