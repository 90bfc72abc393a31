from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

from headend.api.errors import too_large_body
from headend.core import clock, search
from headend.core.http import HtmxHttpRequest
from headend.core.permissions import staff_required
from headend.crm import selectors as crm_selectors
from headend.fulfillment import selectors as fulfillment_selectors
from headend.inventory import selectors as inventory_selectors
from headend.orders import selectors as orders_selectors
from headend.quoting import selectors as quoting_selectors
from headend.web.timeline import account_timeline


@staff_required
def home_view(request: HttpRequest) -> HttpResponse:
    """The day at a glance: open quotes, orders in delivery, tasks to do, live services."""
    user = request.user
    open_quotes = quoting_selectors.quote_list(user=user).filter(status__in=["draft", "presented"])
    open_orders = orders_selectors.order_list(user=user).filter(status__in=["acknowledged", "in_progress"])
    tasks = fulfillment_selectors.task_list_open(user=user)
    active = inventory_selectors.service_list(user=user, status="active")
    # What waits for this approver (sales managers, directors, finance: whatever roles the rules name).
    approvals = quoting_selectors.approval_inbox(user=user)
    context = {
        "approvals": approvals[:8],
        "approval_count": approvals.count(),
        "now": clock.now(),
        "open_quotes": open_quotes[:8],
        "open_quote_count": open_quotes.count(),
        "open_orders": open_orders[:8],
        "open_order_count": open_orders.count(),
        "tasks": tasks[:8],
        "task_count": tasks.count(),
        "active_count": active.count(),
    }
    return render(request, "web/home.html", context)


@staff_required
def search_view(request: HtmxHttpRequest) -> HttpResponse:
    """The staff search (the box in the header): what each app finds for `q`, grouped by kind,
    only the kinds the user may read. HTMX asks as one types and gets the results alone."""
    query = search.clean(request.GET.get("q", ""))
    context = {
        "query": query,
        "groups": search.search(user=request.user, query=query),
        "too_short": len(query) < search.MIN_QUERY,
        "limit": search.LIMIT,
    }
    return render(request, "web/search.html#results" if request.htmx else "web/search.html", context)


@staff_required
def account_timeline_view(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """A page of the account's activity: the "more" of the timeline on the account page."""
    account = crm_selectors.account_get_for(user=request.user, account_id=account_id)
    raw = request.GET.get("page", "")
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1
    context = {"account": account, "timeline": account_timeline(user=request.user, account=account, page=page)}
    return render(
        request, "web/account_timeline.html#entries" if request.htmx else "web/account_timeline.html", context
    )


def bad_request_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    """What Django refused before a view ran (settings.handler400). A body past
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413: a TMF Error under /tmf-api/, a page that says so here."""
    if not isinstance(exception, RequestDataTooBig):
        return defaults.bad_request(request, exception)
    if request.path.startswith("/tmf-api/"):
        return JsonResponse(too_large_body(), status=413)
    limit_mb = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:g}"
    return render(request, "413.html", {"limit_mb": limit_mb}, status=413)
