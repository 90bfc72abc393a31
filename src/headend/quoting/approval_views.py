"""Approvals: sales submits a quote whose rules fired; each approver's inbox lists what waits for them."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.core import clock
from headend.core.errors import DomainError
from headend.core.pagination import paginate
from headend.core.permissions import Role, permission_required, staff_required, user_roles
from headend.quoting import selectors, services


@staff_required
def approval_inbox_view(request: HttpRequest) -> HttpResponse:
    """The approvals waiting for the user's roles, oldest first: age, value, the rule and why."""
    roles = user_roles(request.user)
    context = {
        "now": clock.now(),
        "approver_roles": [Role(role).label for role in sorted(roles) if role in Role.values],
        **paginate(request, selectors.approval_inbox(user=request.user), per_page=50),
    }
    return render(request, "quoting/approval_inbox.html", context)


@require_POST
@permission_required("quote.edit")
def quote_submit_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    """Sales submits the quote to the approvers its rules name."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    try:
        services.quote_submit_for_approval(quote=quote, submitted_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Quote {quote.number} is submitted for approval.")
    return redirect(quote)
