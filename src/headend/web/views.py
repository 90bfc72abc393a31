from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

from headend.api.errors import too_large_body
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
    return render(request, "web/home.html", context)


def bad_request_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    """What Django refused before a view ran (settings.handler400). A body past
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413: a TMF Error under /tmf-api/, a page that says so here."""
    if not isinstance(exception, RequestDataTooBig):
        return defaults.bad_request(request, exception)
    if request.path.startswith("/tmf-api/"):
        return JsonResponse(too_large_body(), status=413)
    limit_mb = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:g}"
    return render(request, "413.html", {"limit_mb": limit_mb}, status=413)
