"""The provider's address points (its passings with coordinates): how many there are and, for
the network team, a CSV upload imported while the page waits (larger files: the command)."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from headend.core import user_files
from headend.core.errors import ValidationError
from headend.core.forms import CheckedFileField, add_domain_error
from headend.core.permissions import may, require, staff_required
from headend.crm import address_points
from headend.crm.models import AddressPoint


class AddressPointUploadForm(forms.Form):
    file = CheckedFileField(
        kind=user_files.COVERAGE_IMPORT,
        label="CSV file",
        help_text=(
            f"Up to {user_files.COVERAGE_IMPORT.max_bytes // user_files.MB} MB here; "
            "larger files with manage.py import_address_points PATH."
        ),
    )


@staff_required
def address_points_view(request: HttpRequest) -> HttpResponse:
    form = AddressPointUploadForm()
    result = None
    if request.method == "POST":
        require(request.user, "coverage.manage")
        form = AddressPointUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = address_points.address_points_import(file=upload.file, file_name=upload.name)
            except ValidationError as exc:
                add_domain_error(form, exc)
            else:
                form = AddressPointUploadForm()
    context = {
        "form": form,
        "result": result,
        "count": AddressPoint.objects.count(),
        "columns": ",".join(address_points.COLUMNS),
        "can_manage": may(request.user, "coverage.manage"),
    }
    return render(request, "crm/address_points.html", context)
