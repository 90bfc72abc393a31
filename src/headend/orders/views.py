from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.core import events, panels
from headend.core.errors import DomainError
from headend.core.money import total
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required, staff_required
from headend.orders import selectors, services
from headend.orders.models import Order


@staff_required
def order_list_view(request: HttpRequest) -> HttpResponse:
    query, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    orders = selectors.order_list(
        user=request.user, query=query, status=status if status in Order.Status.values else ""
    )
    context = {"query": query, "status": status, "statuses": Order.Status.choices, **paginate(request, orders)}
    return render(request, "orders/order_list.html", context)


@staff_required
def order_detail_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for(user=request.user, order_id=order_id)
    context = {
        "order": order,
        # An order placed directly (through the API) has no quote: its lines are all adds.
        "mrr_amount": order.quote.mrr_amount if order.quote else total(line.mrc_amount for line in order.lines.all()),
        # The slip and the appointments: fulfillment draws them (its panels.py).
        "card_panels": panels.render("order.cards", request=request, obj=order),
        "section_panels": panels.render("order.sections", request=request, obj=order),
        "activity": events.activity(order),
        "can_cancel": may(request.user, "order.cancel")
        and order.status in (Order.Status.ACKNOWLEDGED, Order.Status.IN_PROGRESS),
    }
    return render(request, "orders/order_detail.html", context)


@require_POST
@permission_required("order.cancel")
def order_cancel_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for(user=request.user, order_id=order_id)
    try:
        order = services.order_cancel(order=order, reason=request.POST.get("reason", ""), cancelled_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.warning(request, f"Order {order.number} is {order.get_status_display().lower()}.")
    return redirect(order)
