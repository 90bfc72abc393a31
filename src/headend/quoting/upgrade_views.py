"""Sales' list of upgrade opportunities: faster plans offered where coverage grew (upgrades.py)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from headend.core.pagination import paginate
from headend.core.permissions import permission_required
from headend.quoting import upgrades


# Read-only, but the list is sales' work queue: whoever sells (the quotes it links to are theirs).
@permission_required("quote.edit")
def upgrade_offer_list_view(request: HttpRequest) -> HttpResponse:
    coverage_import = request.GET.get("import", "").strip()
    show = request.GET.get("show", "open")
    show = show if show in ("open", "all") else "open"
    offers = upgrades.upgrade_offer_list(
        user=request.user, coverage_import_id=coverage_import or None, open_only=show == "open"
    )
    context = {
        "coverage_import": coverage_import,
        "show": show,
        "imports": upgrades.upgrade_offer_imports(),
        **paginate(request, offers),
    }
    return render(request, "quoting/upgrade_offer_list.html", context)
