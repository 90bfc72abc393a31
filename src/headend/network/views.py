from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required, require, staff_required
from headend.network import selectors, services
from headend.network.forms import CoverageAreaForm, CoverageUploadForm
from headend.network.models import CoverageImport


def _coverage_page(request: HttpRequest, form: CoverageUploadForm) -> HttpResponse:
    context = {
        "form": form,
        "totals": selectors.coverage_totals(),
        "areas": selectors.coverage_area_list(),
        "can_manage": may(request.user, "coverage.manage"),
        **paginate(request, selectors.coverage_import_list(), per_page=20),
    }
    return render(request, "network/coverage.html", context)


@staff_required
def coverage_view(request: HttpRequest) -> HttpResponse:
    """Imports with their counts, staff areas, and (for the network team) a CSV upload that is
    imported while the page waits."""
    if request.method != "POST":
        return _coverage_page(request, CoverageUploadForm())
    require(request.user, "coverage.manage")
    form = CoverageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _coverage_page(request, form)
    upload = form.cleaned_data["file"]
    if form.cleaned_data["kind"] == CoverageImport.Kind.FCC:
        record = services.coverage_import_fcc(
            file=upload.file,
            file_name=upload.name,
            created_by=request.user,
            provider_id=form.cleaned_data["provider_id"],
        )
    else:
        record = services.coverage_import_addresses(file=upload.file, file_name=upload.name, created_by=request.user)
    if record.status == CoverageImport.Status.COMPLETED:
        messages.success(
            request,
            f"{record.file_name}: {record.rows_imported:,} rows imported, {record.rows_rejected:,} rejected, "
            f"{record.rows_skipped:,} skipped.",
        )
    else:
        messages.error(request, f"{record.file_name}: {record.error}")
    return redirect(record)


@staff_required
def import_detail_view(request: HttpRequest, import_id: int) -> HttpResponse:
    record = selectors.coverage_import_get(import_id=import_id)
    context = {"record": record, **paginate(request, record.rejected_rows.all(), per_page=50)}
    return render(request, "network/import_detail.html", context)


@permission_required("coverage.manage")
def area_create_view(request: HttpRequest) -> HttpResponse:
    """Coverage staff know of before any file says so: H3 cells or a polygon."""
    form = CoverageAreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            area = services.coverage_area_create(created_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{area.name}: {area.cell_count:,} H3 cells of {area.get_technology_display()}.")
            return redirect("network:coverage")
    return render(request, "network/area_form.html", {"form": form})


@require_POST
@permission_required("coverage.manage")
def area_delete_view(request: HttpRequest, area_id: int) -> HttpResponse:
    area = selectors.coverage_area_get(area_id=area_id)
    services.coverage_area_delete(area=area, deleted_by=request.user)
    messages.success(request, f"{area.name} removed from coverage.")
    return redirect("network:coverage")
