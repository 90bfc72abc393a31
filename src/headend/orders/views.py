from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from headend.core.pagination import paginate
from headend.core.permissions import staff_required
from headend.orders import selectors
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
    return render(request, "orders/order_detail.html", {"order": order})
