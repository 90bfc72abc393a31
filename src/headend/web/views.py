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
from headend.web import home as home_panels
from headend.web.timeline import account_timeline


@staff_required
def home_view(request: HttpRequest) -> HttpResponse:
    """The few things the user's roles act on (web/home.py): sales their quotes and pipeline,
    approvers their inbox, provisioning due, late and stuck work, a technician the day's visits,
    support the cases near or past their SLA, billing and finance what is owed and paid, product
    managers their drafts, directors and admins the figures."""
    home = home_panels.home_for(user=request.user, at=clock.now())
    return render(request, "web/home.html", {**home.context, "panels": home.panels, "now": home.at})


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
