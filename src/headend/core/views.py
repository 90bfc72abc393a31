from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from headend.core.permissions import staff_required
from headend.fulfillment import selectors as fulfillment_selectors
from headend.inventory import selectors as inventory_selectors
from headend.orders import selectors as orders_selectors
from headend.quoting import selectors as quoting_selectors


@staff_required
def home_view(request: HttpRequest) -> HttpResponse:
    """The day at a glance: open quotes, orders in delivery, tasks to do, live services."""
    user = request.user
    open_quotes = quoting_selectors.quote_list(user=user).filter(status__in=["draft", "presented"])
    open_orders = orders_selectors.order_list(user=user).filter(status__in=["acknowledged", "in_progress"])
    tasks = fulfillment_selectors.task_list_open(user=user)
    active = inventory_selectors.service_list(user=user, status="active")
    context = {
        "open_quotes": open_quotes[:8],
        "open_quote_count": open_quotes.count(),
        "open_orders": open_orders[:8],
        "open_order_count": open_orders.count(),
        "tasks": tasks[:8],
        "task_count": tasks.count(),
        "active_count": active.count(),
    }
    return render(request, "core/home.html", context)


def health_view(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
