"""Settings → Webhooks: the listeners registered through the API and their delivery log."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.core.errors import DomainError
from headend.core.http import HtmxHttpRequest
from headend.core.pagination import paginate
from headend.core.permissions import permission_required
from headend.hub import selectors, services
from headend.hub.models import Delivery


@permission_required("webhook.manage")
def webhooks_view(request: HtmxHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Delivery.Status.values else ""
    subscription_id = request.GET.get("subscription", "")
    deliveries = selectors.delivery_list(status=status, subscription_id=subscription_id)
    context = {
        "subscriptions": selectors.subscription_list(),
        "status": status,
        "subscription_id": subscription_id,
        "statuses": Delivery.Status.choices,
        **paginate(request, deliveries, per_page=50),
    }
    return render(request, "hub/webhooks.html", context)


@permission_required("webhook.manage")
def delivery_detail_view(request: HtmxHttpRequest, delivery_id: int) -> HttpResponse:
    delivery = selectors.delivery_get(delivery_id=delivery_id)
    return render(request, "hub/delivery_detail.html", {"delivery": delivery, "attempts": delivery.attempt_log.all()})


@require_POST
@permission_required("webhook.manage")
def delivery_redeliver_view(request: HtmxHttpRequest, delivery_id: int) -> HttpResponse:
    delivery = selectors.delivery_get(delivery_id=delivery_id)
    error = ""
    try:
        services.delivery_redeliver(delivery=delivery, requested_by=request.user)
    except DomainError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"{delivery.event_type} queued again for {delivery.subscription.callback}.")
        if request.POST.get("from") == "detail":
            return redirect("hub:delivery_detail", delivery.pk)
        return redirect("hub:webhooks")
    context = {"delivery": selectors.delivery_get(delivery_id=delivery_id), "row_error": error}
    return render(request, "hub/webhooks.html#delivery_row", context)


@require_POST
@permission_required("webhook.manage")
def subscription_delete_view(request: HtmxHttpRequest, subscription_id: int) -> HttpResponse:
    subscription = selectors.subscription_get(subscription_id=subscription_id)
    services.subscription_delete(subscription=subscription, deleted_by=request.user)
    messages.success(request, f"Listener {subscription.callback} removed; nothing more is sent to it.")
    return redirect("hub:webhooks")
