"""Dunning pages: the queue (who is at which step, how late, what comes next), the policies per
customer type, and a promise to pay made or cancelled for a payer."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.billing import views as billing_views
from headend.core import clock
from headend.core.errors import DomainError, NotFound
from headend.core.forms import add_domain_error
from headend.core.ids import parse_id
from headend.core.permissions import may, permission_required
from headend.core.templatetags.headend import money
from headend.crm.models import Account

from . import dunning, views
from .forms import DunningPolicyForm, PromiseForm
from .models import DunningPolicy, PromiseToPay

POLICY_FIELDS = list(DunningPolicyForm.base_fields)


@permission_required("billing.read")
def dunning_queue_view(request: HttpRequest) -> HttpResponse:
    """Every payer with something overdue, latest first: its step, next action and promise."""
    today = clock.today()
    context = {"rows": dunning.queue(today), "today": today}
    return render(request, "payments/dunning_queue.html", context)


@permission_required("billing.read")
def dunning_policy_list_view(request: HttpRequest) -> HttpResponse:
    policies = [(label, dunning.policy_for(kind)) for kind, label in Account.Kind.choices]
    context = {"policies": policies, "can_manage": may(request.user, "dunning.manage")}
    return render(request, "payments/dunning_policy_list.html", context)


def _policy(customer_type: str) -> DunningPolicy:
    if customer_type not in Account.Kind.values:
        raise Http404("No such customer type.")
    return dunning.policy_for(customer_type)


@permission_required("dunning.manage")
def dunning_policy_edit_view(request: HttpRequest, customer_type: str) -> HttpResponse:
    policy = _policy(customer_type)
    initial = {name: getattr(policy, name) for name in POLICY_FIELDS}
    initial["reminder_days"] = ", ".join(str(day) for day in policy.reminder_days or [])
    form = DunningPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            dunning.policy_update(policy=policy, updated_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{policy} saved.")
            return redirect("payments:dunning_policy_list")
    label = Account.Kind(customer_type).label
    return render(request, "payments/dunning_policy_form.html", {"form": form, "policy": policy, "label": label})


@permission_required("dunning.promise")
def promise_create_view(request: HttpRequest, billing_account_id: int) -> HttpResponse:
    """The payer promised to pay by a date: dunning holds off until then."""
    billing_account = billing_views.billing_account_get(billing_account_id=billing_account_id)
    payer = billing_account.payer
    standing = views.payer_standing(payer, today=clock.today())
    form = PromiseForm(
        request.POST or None, initial={"amount": str(standing.overdue_amount) if standing.overdue else None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            promise = dunning.promise_create(
                billing_account=payer,
                until=form.cleaned_data["until"],
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
                created_by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            amount = money(promise.amount, payer.currency)
            messages.success(request, f"Promise of {amount} by {promise.until:%b %-d, %Y} recorded: dunning waits.")
            return redirect(billing_account)
    context = {"billing_account": billing_account, "payer": payer, "standing": standing, "form": form}
    return render(request, "payments/promise_form.html", context)


@require_POST
@permission_required("dunning.promise")
def promise_cancel_view(request: HttpRequest, promise_id: int) -> HttpResponse:
    promise = PromiseToPay.objects.select_related("billing_account").filter(pk=parse_id(promise_id)).first()
    if promise is None:
        raise NotFound("No such promise to pay.", field="id")
    try:
        dunning.promise_cancel(promise=promise, cancelled_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Promise to pay cancelled: dunning resumes.")
    return redirect(promise.billing_account)
