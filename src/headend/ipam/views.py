"""Staff pages for IP pools: usage of each, one pool's allocations, a new pool."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.pagination import paginate
from headend.core.permissions import permission_required
from headend.ipam import selectors, services
from headend.ipam.forms import PoolForm
from headend.ipam.models import IPAllocation


@permission_required("pool.manage")
def pool_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "ipam/pool_list.html", {"pools": selectors.pool_usage_list()})


@permission_required("pool.manage")
def pool_detail_view(request: HttpRequest, pool_id: int) -> HttpResponse:
    pool = selectors.pool_get(pool_id=pool_id)
    state = request.GET.get("state", "")
    context = {
        "pool": pool,
        "state": state,
        "states": IPAllocation.State.choices,
        **paginate(request, selectors.pool_allocation_list(pool=pool, state=state), per_page=50),
    }
    return render(request, "ipam/pool_detail.html", context)


@permission_required("pool.manage")
def pool_create_view(request: HttpRequest) -> HttpResponse:
    form = PoolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pool = services.pool_create(created_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{pool.name}: {pool.capacity:,} {pool.unit_plural} to hand out.")
            return redirect(pool)
    return render(request, "ipam/pool_form.html", {"form": form})
